/**
 * the E.164 fast path (src/domain/e164-fast.ts) gives exactly the answer
 * of normalizeNumber (libphonenumber-js) on every input. Property tests over
 * arbitrary strings, every calling code with random digits of every length,
 * and mutated example numbers of every country.
 */
import fc from 'fast-check';
import examples from 'libphonenumber-js/examples.mobile.json';
import metadataJson from 'libphonenumber-js/max/metadata';
import { describe, expect, it } from 'vitest';
import { normalizeNumber } from '../../src/domain/e164.js';
import { fastValidE164, normalizeNumberFast } from '../../src/domain/e164-fast.js';

const meta = metadataJson as unknown as {
  country_calling_codes: Record<string, string[]>;
  nonGeographic: Record<string, unknown>;
};
const callingCodes = [
  ...Object.keys(meta.country_calling_codes),
  ...Object.keys(meta.nonGeographic),
];
const exampleNumbers = Object.entries(examples as Record<string, string>);
const countries = [undefined, 'GB', 'US', 'DE', 'FR', 'AR', 'RU', 'XX', ''];

const digits = (min: number, max: number) =>
  fc
    .array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max })
    .map((d) => d.join(''));

/** `+` + a real calling code + 0–15 random digits. */
const e164Like = fc
  .tuple(fc.constantFrom(...callingCodes), digits(0, 15))
  .map(([cc, rest]) => `+${cc}${rest}`.slice(0, 17));

/** An example number of a random country with some digits changed, cut or added. */
const mutatedExample = fc
  .tuple(
    fc.constantFrom(...exampleNumbers),
    fc.nat(),
    fc.integer({ min: 0, max: 9 }),
    fc.integer({ min: -2, max: 2 }),
  )
  .map(([[country, national], pos, digit, grow]) => {
    const cc = Object.entries(meta.country_calling_codes).find(([, cs]) =>
      cs.includes(country),
    )![0];
    const chars = national.split('');
    chars[pos % chars.length] = String(digit);
    let nsn = chars.join('');
    if (grow < 0) nsn = nsn.slice(0, grow);
    else nsn += '7'.repeat(grow);
    return `+${cc}${nsn}`;
  });

function same(input: string, country?: string) {
  expect(normalizeNumberFast(input, country)).toEqual(normalizeNumber(input, country));
}

describe('R-2 e164-fast agrees with libphonenumber-js', () => {
  it('R-2 on arbitrary strings (and any default country)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), fc.constantFrom(...countries), (s, c) =>
        same(s, c),
      ),
      { numRuns: 3000 },
    );
  });

  it('R-2 on every calling code followed by random digits of every length', () => {
    fc.assert(
      fc.property(e164Like, (s) => same(s)),
      { numRuns: 40_000 },
    );
  });

  it('R-2 on mutated example numbers of every country (mostly valid: exercises the fast answer)', () => {
    let fastAnswers = 0;
    fc.assert(
      fc.property(mutatedExample, (s) => {
        if (fastValidE164(s)) fastAnswers++;
        same(s);
      }),
      { numRuns: 20_000 },
    );
    // The comparison means something only if the fast path answered often.
    expect(fastAnswers).toBeGreaterThan(2_000);
  });

  it('R-2 on every example number as given', () => {
    for (const [country, national] of exampleNumbers) {
      const cc = Object.entries(meta.country_calling_codes).find(([, cs]) =>
        cs.includes(country),
      )![0];
      same(`+${cc}${national}`);
    }
  });

  it('R-2 answers the common import shapes on the fast path', () => {
    expect(fastValidE164('+442079460000')).toEqual({
      e164: '+442079460000',
      country: 'GB',
      kind: 'fixedLine',
    });
    expect(fastValidE164('+4420794600')).toBeNull(); // too short: the slow path says why
    expect(normalizeNumberFast('+4420794600')).toMatchObject({ ok: false });
    expect(fastValidE164('+447400123456')?.kind).toBe('mobile');
    expect(fastValidE164(' +442079460000')).toBeNull(); // not bare E.164: slow path
  });
});
