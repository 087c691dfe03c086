import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirstLines } from '../../src/imports/first-lines.js';

describe('FirstLines (duplicates inside an import file)', () => {
  it('answers the first line of a number seen before, null for a new one', () => {
    const f = new FirstLines();
    expect(f.firstLine('+442030000001', 2)).toBeNull();
    expect(f.firstLine('+442030000002', 3)).toBeNull();
    expect(f.firstLine('+442030000001', 4)).toBe(2);
    expect(f.firstLine('+442030000001', 9)).toBe(2);
    // Same digits, different length: different numbers.
    expect(f.firstLine('+4420300000010', 5)).toBeNull();
    expect(f.firstLine('+1', 6)).toBeNull();
    expect(f.firstLine('+999999999999999', 7)).toBeNull();
    expect(f.firstLine('+999999999999998', 8)).toBeNull();
    expect(f.firstLine('+999999999999999', 10)).toBe(7);
  });

  it('agrees with a Map over any sequence of E.164 numbers, through growth', () => {
    const e164 = fc
      .tuple(fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^[0-9]{0,14}$/))
      .map(([d, rest]) => `+${d}${rest}`);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(e164, fc.constantFrom('+442030000001', '+1', '+10')), { maxLength: 200 }),
        (numbers) => {
          const f = new FirstLines();
          const m = new Map<string, number>();
          numbers.forEach((n, line) => {
            expect(f.firstLine(n, line)).toBe(m.get(n) ?? null);
            if (!m.has(n)) m.set(n, line);
          });
        },
      ),
    );
    // Past several doublings of the table (plain counts: an expect per call is slow).
    const f = new FirstLines();
    let fresh = 0;
    for (let i = 0; i < 200_000; i++)
      if (f.firstLine(`+4474${String(i).padStart(8, '0')}`, i) === null) fresh++;
    let found = 0;
    for (let i = 0; i < 200_000; i += 7)
      if (f.firstLine(`+4474${String(i).padStart(8, '0')}`, -1) === i) found++;
    expect([fresh, found]).toEqual([200_000, Math.ceil(200_000 / 7)]);
  });
});
