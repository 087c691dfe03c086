/** SPEC §7 automatic allocation (R-40..R-44): the pure rule, by example and by property. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocationCount,
  chooseNumbers,
  isEligible,
  planAutoAllocation,
  runsOf,
  shouldAutoAllocate,
  type Candidate,
} from '../../src/domain/allocation.js';

const NOW = new Date('2026-01-15T12:00:00Z');
const uk = (i: number) => `+44118496${String(i).padStart(4, '0')}`;
const cand = (e164: string, over: Partial<Candidate> = {}): Candidate => ({
  e164,
  kind: 'fixedLine',
  status: 'available',
  locked: false,
  coolingOffUntil: null,
  usage: null,
  mainNumber: false,
  pending: false,
  ...over,
});

describe('R-40 how many numbers', () => {
  it('R-40 batchOf5 rounds quantity plus main up to a multiple of five', () => {
    expect(allocationCount('batchOf5', 7, true)).toBe(10);
    expect(allocationCount('batchOf5', 7, false)).toBe(10);
    expect(allocationCount('batchOf5', 4, true)).toBe(5);
    expect(allocationCount('batchOf5', 5, true)).toBe(10);
    expect(allocationCount('batchOf5', 5, false)).toBe(5);
    expect(allocationCount('batchOf5', 0, false)).toBe(0);
  });

  it('R-40 exact takes quantity plus main', () => {
    expect(allocationCount('exact', 7, true)).toBe(8);
    expect(allocationCount('exact', 7, false)).toBe(7);
  });

  it('R-40 refuses a negative or fractional quantity', () => {
    expect(() => allocationCount('exact', -1, false)).toThrow(RangeError);
    expect(() => allocationCount('exact', 1.5, false)).toThrow(RangeError);
  });

  it('R-40 property: batchOf5 is the least multiple of 5 ≥ Q + m; exact is Q + m', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.boolean(), (q, m) => {
        const wanted = q + (m ? 1 : 0);
        const b = allocationCount('batchOf5', q, m);
        expect(b % 5).toBe(0);
        expect(b).toBeGreaterThanOrEqual(wanted);
        expect(b - wanted).toBeLessThan(5);
        expect(allocationCount('exact', q, m)).toBe(wanted);
      }),
    );
  });
});

describe('R-41 which numbers', () => {
  it('R-41 skips locked, cooling-off, toll-free, premium, pending, pre-nominated main and IVR numbers', () => {
    const later = new Date(NOW.getTime() + 86_400_000);
    const earlier = new Date(NOW.getTime() - 1);
    expect(isEligible(cand(uk(1)), NOW)).toBe(true);
    expect(isEligible(cand(uk(1), { coolingOffUntil: earlier }), NOW)).toBe(true);
    expect(isEligible(cand(uk(1), { coolingOffUntil: later }), NOW)).toBe(false);
    expect(isEligible(cand(uk(1), { locked: true }), NOW)).toBe(false);
    expect(isEligible(cand(uk(1), { kind: 'tollFree' }), NOW)).toBe(false);
    expect(isEligible(cand(uk(1), { kind: 'premiumRate' }), NOW)).toBe(false);
    expect(isEligible(cand(uk(1), { status: 'reserved' }), NOW)).toBe(false);
    expect(isEligible(cand(uk(1), { pending: true }), NOW)).toBe(false);
    expect(isEligible(cand(uk(1), { mainNumber: true }), NOW)).toBe(false);
    expect(isEligible(cand(uk(1), { usage: 'application' }), NOW)).toBe(false);
    expect(isEligible(cand(uk(1), { kind: 'mobile', usage: 'user' }), NOW)).toBe(true);
  });

  it('R-41 takes the lowest block that holds them all', () => {
    const pool = [1, 2, 4, 5, 6, 7, 20, 21, 22, 23, 24].map(uk);
    expect(chooseNumbers(pool, 3)).toEqual([4, 5, 6].map(uk));
    expect(chooseNumbers(pool, 2)).toEqual([1, 2].map(uk));
    expect(chooseNumbers(pool, 5)).toEqual([20, 21, 22, 23, 24].map(uk));
  });

  it('R-41 uses as few blocks as possible when none is long enough', () => {
    const pool = [1, 3, 4, 10, 11, 12, 30, 31].map(uk);
    // 3 from 10-12 (longest), then 2 from 3-4 (the lower of the two 2-runs)
    expect(chooseNumbers(pool, 5)).toEqual([3, 4, 10, 11, 12].map(uk));
    expect(chooseNumbers(pool, 9)).toBeNull();
    expect(chooseNumbers(pool, 0)).toEqual([]);
  });

  it('R-41 property: exactly `count` distinct pool numbers, ascending; contiguous when a block allows', () => {
    const poolArb = fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 80 });
    fc.assert(
      fc.property(poolArb, fc.integer({ min: 0, max: 90 }), (ints, count) => {
        const pool = ints.map(uk);
        const got = chooseNumbers(pool, count);
        if (count > pool.length) {
          expect(got).toBeNull();
          return;
        }
        expect(got).not.toBeNull();
        const chosen = got!;
        expect(chosen).toHaveLength(count);
        expect(new Set(chosen).size).toBe(count);
        expect(chosen.every((e) => pool.includes(e))).toBe(true);
        expect([...chosen].sort()).toEqual(chosen);
        const runs = runsOf(pool);
        const lengths = runs.map((r) => r.length).sort((a, b) => b - a);
        // fewest blocks: the least k whose k longest runs hold `count`
        let k = 0;
        for (let sum = 0; sum < count; k++) sum += lengths[k]!;
        expect(runsOf(chosen).length).toBe(Math.max(k, count === 0 ? 0 : 1));
        const block = runs.find((r) => r.length >= count);
        if (block && count > 0) expect(chosen).toEqual(block.slice(0, count));
      }),
      { numRuns: 500 },
    );
  });
});

describe('R-42 / R-43 the plan', () => {
  const site = Array.from({ length: 30 }, (_, i) => cand(uk(i)));

  it('R-42 UK quantity 7 with main: 10 numbers, 1 main, 7 activated, 2 reserved', () => {
    const plan = planAutoAllocation({
      policy: 'batchOf5',
      quantity: 7,
      createMain: true,
      candidates: site,
      now: NOW,
    });
    expect(plan).toMatchObject({ ok: true, main: uk(0) });
    if (!plan.ok) throw new Error('expected a plan');
    expect(plan.numbers).toEqual(Array.from({ length: 10 }, (_, i) => uk(i)));
    expect(plan.activate).toEqual(Array.from({ length: 7 }, (_, i) => uk(i + 1)));
    expect(plan.reserve).toEqual([uk(8), uk(9)]);
  });

  it('R-42 exact quantity 7 without main: 7 numbers, all activated, no main', () => {
    const plan = planAutoAllocation({
      policy: 'exact',
      quantity: 7,
      createMain: false,
      candidates: site,
      now: NOW,
    });
    if (!plan.ok) throw new Error('expected a plan');
    expect(plan.main).toBeNull();
    expect(plan.activate).toHaveLength(7);
    expect(plan.reserve).toEqual([]);
  });

  it('R-43 too few eligible numbers: needed and available, nothing chosen', () => {
    const few = [
      ...Array.from({ length: 6 }, (_, i) => cand(uk(i))),
      cand(uk(50), { locked: true }),
      cand(uk(51), { kind: 'tollFree' }),
    ];
    expect(
      planAutoAllocation({
        policy: 'batchOf5',
        quantity: 7,
        createMain: true,
        candidates: few,
        now: NOW,
      }),
    ).toEqual({ ok: false, needed: 10, available: 6 });
  });

  it('R-42 property: main, activated and reserved partition the chosen numbers', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        fc.constantFrom('batchOf5' as const, 'exact' as const),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        (ints, q, m, policy, locks) => {
          const candidates = ints.map((i, j) => cand(uk(i), { locked: locks[j]! }));
          const plan = planAutoAllocation({
            policy,
            quantity: q,
            createMain: m,
            candidates,
            now: NOW,
          });
          const eligible = candidates.filter((c) => !c.locked).map((c) => c.e164);
          const needed = allocationCount(policy, q, m);
          if (!plan.ok) {
            expect(plan).toEqual({ ok: false, needed, available: eligible.length });
            expect(eligible.length).toBeLessThan(needed);
            return;
          }
          expect(plan.numbers).toHaveLength(needed);
          expect(plan.numbers.every((e) => eligible.includes(e))).toBe(true);
          expect(plan.activate).toHaveLength(q);
          const parts = [...(plan.main ? [plan.main] : []), ...plan.activate, ...plan.reserve];
          expect([...parts].sort()).toEqual([...plan.numbers].sort());
          expect(plan.main !== null).toBe(m);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('R-44 when automation runs', () => {
  const base = {
    platform: 'hostedVoice',
    isNewService: true,
    customerHasHostedVoiceAtSite: false,
    customerHoldsNumbersAtSite: false,
  };
  it('R-44 runs for a first hostedVoice service of a customer without numbers at the site', () => {
    expect(shouldAutoAllocate(base)).toBe(true);
  });
  it('R-44 not when the customer already holds numbers at the site (manual allocation wins)', () => {
    expect(shouldAutoAllocate({ ...base, customerHoldsNumbersAtSite: true })).toBe(false);
  });
  it('R-44 not when an existing service changes (quantity) or another voice service exists there', () => {
    expect(shouldAutoAllocate({ ...base, isNewService: false })).toBe(false);
    expect(shouldAutoAllocate({ ...base, customerHasHostedVoiceAtSite: true })).toBe(false);
  });
  it('R-44 never for other platforms', () => {
    expect(shouldAutoAllocate({ ...base, platform: 'teamsOperatorConnect' })).toBe(false);
  });
});
