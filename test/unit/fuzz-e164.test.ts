/**
 * Issue 7 fuzzing of the number normaliser (R-2, SPEC §3.5): normalizeNumber
 * (libphonenumber-js) and its fast path normalizeNumberFast. On any input and
 * any default country: no exception, and nothing is accepted that is not
 * E.164 (`^\+[1-9]\d{1,14}$`) and valid for libphonenumber, with the country
 * libphonenumber gives it. Refusals carry one of the documented reasons.
 * 60,000 cases here, 100,000 in fuzz-csv.test.ts (counts asserted).
 */
import fc from 'fast-check';
import metadataJson from 'libphonenumber-js/max/metadata';
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { invalidReasons, normalizeNumber, type NormalizeResult } from '../../src/domain/e164.js';
import { normalizeNumberFast } from '../../src/domain/e164-fast.js';

const E164 = /^\+[1-9]\d{1,14}$/;
/** Generous: the cases take a few seconds, but the machine may be shared (CI, parallel files). */
const FUZZ_TIMEOUT_MS = 120_000;
const callingCodes = Object.keys(
  (metadataJson as unknown as { country_calling_codes: Record<string, string[]> })
    .country_calling_codes,
);
const countries = fc.constantFrom(undefined, '', 'GB', 'us', 'DE', 'FR', 'IN', 'CN', 'XX', 'G');
let cases = 0;

/** What a person, a spreadsheet or an attacker might type into a number cell. */
const typed = fc.oneof(
  // Digits, separators, prefixes, exponent markers, quotes and look-alikes
  // (full-width and Arabic-Indic digits, Unicode minus, NBSP).
  fc.string({
    unit: fc.constantFrom(
      ..."0123456789+ -().'/eE,",
      '\u00a0',
      '\u2212',
      '\uff11',
      '\u0663',
      '\u202f',
      'x',
      '#',
      '*',
    ),
    maxLength: 24,
  }),
  // Any Unicode, short.
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  // A real calling code and random digits, with separators sprinkled in.
  fc
    .tuple(
      fc.constantFrom('+', '00', '', "'+", ' +'),
      fc.constantFrom(...callingCodes),
      fc.array(fc.constantFrom(...'0123456789', ' ', '-'), { maxLength: 16 }),
    )
    .map(([p, cc, rest]) => `${p}${cc}${rest.join('')}`),
);

function check(r: NormalizeResult) {
  if (r.ok) {
    expect(r.value.e164).toMatch(E164);
    const parsed = parsePhoneNumberWithError(r.value.e164);
    expect(parsed.isValid()).toBe(true);
    expect(parsed.number).toBe(r.value.e164);
    expect(r.value.country).toBe(parsed.country);
  } else {
    expect(invalidReasons).toContain(r.reason);
    expect(r.message.length).toBeGreaterThan(0);
  }
}

describe('R-2 number normaliser fuzzing', () => {
  it(
    'R-2 normalizeNumber never throws and accepts only valid E.164',
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(typed, countries, (input, country) => {
          cases++;
          const r = normalizeNumber(input, country);
          if (r.ok) accepted++;
          check(r);
        }),
        { numRuns: 30_000 },
      );
      expect(accepted).toBeGreaterThan(300); // the acceptance branch was exercised
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'R-2 normalizeNumberFast never throws, accepts only valid E.164, and agrees with normalizeNumber',
    () => {
      fc.assert(
        fc.property(typed, countries, (input, country) => {
          cases++;
          const r = normalizeNumberFast(input, country);
          check(r);
          expect(r).toEqual(normalizeNumber(input, country));
        }),
        { numRuns: 30_000 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it('ran the planned number of cases', () => {
    expect(cases).toBeGreaterThanOrEqual(60_000);
  });
});
