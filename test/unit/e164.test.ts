import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';
import {
  DomainError,
  MAX_RANGE_SIZE,
  assertCountry,
  invalidReasons,
  isE164Shape,
  normalizeNumber,
  parseNumber,
  parseRange,
} from '../../src/domain/index.js';
import type { InvalidReason, NumberKind } from '../../src/domain/index.js';

/** Run `fn` and return the DomainError it throws (fails the test when it does not throw one). */
function caught(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('R-2 normalizeNumber refusals', () => {
  const refusals: [InvalidReason, string, string | undefined][] = [
    ['EMPTY', '   ', undefined],
    ['EMPTY', "'", undefined],
    ['LETTERS', '1-800-FLOWERS', 'US'],
    ['LETTERS', '+44 20 7946 0000 ext 12', undefined],
    ['SCIENTIFIC_NOTATION', '4.42079E+11', undefined],
    ['SCIENTIFIC_NOTATION', '4,42E+11', undefined],
    ['SCIENTIFIC_NOTATION', "'4.42079e11", undefined],
    ['NOT_DIGITS', '+44#20 7946 0000', undefined],
    ['NOT_DIGITS', '+44 20 +7946 0000', undefined],
    ['TOO_SHORT', '+4412', undefined],
    ['TOO_SHORT', '123', 'US'],
    ['TOO_LONG', '+44 20 7946 00000', undefined],
    ['TOO_LONG', '+1234567890123456', undefined],
    ['TOO_LONG', '020794600001234567', 'GB'],
    ['NO_COUNTRY', '020 7946 0000', undefined],
    ['INVALID_COUNTRY_CODE', '+999123456', undefined],
    ['INVALID_COUNTRY_CODE', '+0123456', undefined],
    ['INVALID_COUNTRY_CODE', '020 7946 0000', 'XX'],
    // Non-geographic (+800 UIFN) numbers are valid E.164 but have no country.
    ['INVALID_COUNTRY_CODE', '+80012345678', undefined],
    // Ofcom's drama range 07700 900xxx is not valid per libphonenumber metadata.
    ['INVALID_FOR_COUNTRY', '+447700900123', undefined],
    ['INVALID_FOR_COUNTRY', '07400 12345', 'GB'],
    // 9 national digits: between the lengths GB uses.
    ['INVALID_FOR_COUNTRY', '+4421234567', undefined],
  ];

  it.each(refusals)('R-2 refuses with %s: %j (country %s)', (reason, input, country) => {
    const result = normalizeNumber(input, country);
    expect(result).toMatchObject({ ok: false, reason });
    expect(result.ok === false && result.message.length > 0).toBe(true);
  });

  it('R-2 has a test input for every InvalidReason', () => {
    expect(new Set(refusals.map(([reason]) => reason))).toEqual(new Set(invalidReasons));
  });

  it('R-2 parseNumber throws INVALID_NUMBER with the reason', () => {
    const e = caught(() => parseNumber('4.42079E+11'));
    expect(e.code).toBe('INVALID_NUMBER');
    expect(e.rule).toBe('R-2');
    expect(e.details).toMatchObject({ reason: 'SCIENTIFIC_NOTATION', input: '4.42079E+11' });
  });
});

describe('R-2 normalizeNumber accepted forms (SPEC §3.5)', () => {
  const forms: [string, string, string | undefined][] = [
    ['E.164 as is', '+442079460000', undefined],
    ['spaces', '+44 20 7946 0000', undefined],
    ['surrounding whitespace', '  +44 20 7946 0000\t', undefined],
    ['non-breaking spaces', '+44\u00a020\u00a07946\u00a00000', undefined],
    ['narrow non-breaking spaces', '+44\u202f20\u202f7946\u202f0000', undefined],
    ['dashes', '+44-20-7946-0000', undefined],
    ['unicode dashes', '+44\u201320\u20137946\u20100000', undefined],
    ['dots', '+44.20.7946.0000', undefined],
    ['parentheses', '+44 (20) 7946 0000', undefined],
    ['national prefix in parentheses', '+44 (0)20 7946 0000', undefined],
    ['slashes', '+44/20/7946/0000', undefined],
    ['leading 00', '0044 20 7946 0000', undefined],
    ["leading ' (Excel)", "'+442079460000", undefined],
    ["leading ' with 00", "'00442079460000", undefined],
    ['national with country', '020 7946 0000', 'GB'],
    ['national with lower-case country', '(020) 7946-0000', 'gb'],
    ['international ignores the default country', '+44 20 7946 0000', 'US'],
  ];

  it.each(forms)('R-2 normalises %s', (_, input, country) => {
    expect(normalizeNumber(input, country)).toEqual({
      ok: true,
      value: { e164: '+442079460000', country: 'GB', kind: 'fixedLine' },
    });
  });

  it('R-2 normalises a US national number', () => {
    expect(parseNumber('(201) 555-0123', 'US').e164).toBe('+12015550123');
  });
});

describe('R-2 country and kind from metadata', () => {
  const numbers: [string, string, NumberKind][] = [
    ['+447400123456', 'GB', 'mobile'],
    ['+442079460000', 'GB', 'fixedLine'],
    ['+18005550100', 'US', 'tollFree'],
    ['+448000123456', 'GB', 'tollFree'],
    ['+12015550123', 'US', 'fixedLine'], // FIXED_LINE_OR_MOBILE
    ['+14165550123', 'CA', 'fixedLine'], // +1 shared: the specific region
    ['+449012345678', 'GB', 'premiumRate'],
    ['+448451234567', 'GB', 'premiumRate'], // 084x is premium in metadata, not shared cost
    ['+33820123456', 'FR', 'sharedCost'],
    ['+445612345678', 'GB', 'voip'],
    ['+447012345678', 'GB', 'personal'],
    ['+445512345678', 'GB', 'uan'],
    ['+447640123456', 'GB', 'unknown'], // PAGER
    ['+447911123456', 'GG', 'mobile'], // +44 shared with the Crown Dependencies
    ['+447624123456', 'IM', 'mobile'],
    ['+390669812345', 'VA', 'fixedLine'], // +39 06 698 is the Vatican
    ['+4915112345678', 'DE', 'mobile'],
  ];
  it.each(numbers)('R-2 %s is %s %s', (e164, country, kind) => {
    expect(parseNumber(e164)).toEqual({ e164, country, kind });
  });
});

describe('R-3 assertCountry', () => {
  it('R-3 accepts a number of the place’s country (case-insensitive)', () => {
    expect(() => assertCountry(parseNumber('+390612345678'), 'it')).not.toThrow();
  });

  it('R-3 refuses a number of another country with COUNTRY_MISMATCH', () => {
    const e = caught(() => assertCountry(parseNumber('+442079460000'), 'IT'));
    expect(e.code).toBe('COUNTRY_MISMATCH');
    expect(e.rule).toBe('R-3');
    expect(e.details).toMatchObject({ expected: 'IT', actual: 'GB' });
  });

  it('R-3 compares regions, not calling codes: a CA number at a US site is refused', () => {
    expect(caught(() => assertCountry(parseNumber('+14165550123'), 'US')).code).toBe(
      'COUNTRY_MISMATCH',
    );
  });
});

describe('R-4 parseRange', () => {
  function rangeReason(input: Parameters<typeof parseRange>[0], country?: string): unknown {
    const e = caught(() => parseRange(input, country));
    expect(e.code).toBe('INVALID_RANGE');
    expect(e.rule).toBe('R-4');
    return e.details?.['reason'];
  }

  it('R-4 accepts start-end and counts inclusively', () => {
    const r = parseRange({ start: '+442079460000', end: '+44 20 7946 0999' });
    expect(r.start.e164).toBe('+442079460000');
    expect(r.end.e164).toBe('+442079460999');
    expect(r.count).toBe(1000);
  });

  it('R-4 accepts start + count and computes the end', () => {
    const r = parseRange({ start: '020 7946 0000', count: 100 }, 'GB');
    expect(r.end).toEqual({ e164: '+442079460099', country: 'GB', kind: 'fixedLine' });
    expect(r.count).toBe(100);
  });

  it('R-4 accepts a single-number range', () => {
    expect(parseRange({ start: '+442079460000', count: 1 }).end.e164).toBe('+442079460000');
    expect(parseRange({ start: '+442079460000', end: '+442079460000' }).count).toBe(1);
  });

  it('R-4 accepts exactly MAX_RANGE_SIZE (1,000,000) numbers', () => {
    expect(MAX_RANGE_SIZE).toBe(1_000_000);
    expect(parseRange({ start: '+442079000000', count: 1_000_000 }).end.e164).toBe('+442079999999');
    expect(parseRange({ start: '+442079000000', end: '+442079999999' }).count).toBe(1_000_000);
  });

  it('R-4 refuses 1,000,001 numbers with TOO_LARGE', () => {
    expect(rangeReason({ start: '+442079000000', count: 1_000_001 })).toBe('TOO_LARGE');
    expect(rangeReason({ start: '+442079000000', end: '+442080000000' })).toBe('TOO_LARGE');
  });

  it('R-4 refuses ends of different length with LENGTH_MISMATCH', () => {
    // Both are valid Berlin numbers; German numbers vary in length.
    expect(rangeReason({ start: '+4930123456', end: '+49301234567' })).toBe('LENGTH_MISMATCH');
  });

  it('R-4 refuses an end before the start with END_BEFORE_START', () => {
    expect(rangeReason({ start: '+442079460999', end: '+442079460000' })).toBe('END_BEFORE_START');
  });

  it('R-4 refuses ends in different countries of one calling code with COUNTRY_MISMATCH', () => {
    expect(rangeReason({ start: '+12045550000', end: '+12125550000' })).toBe('COUNTRY_MISMATCH');
  });

  it('R-4 needs exactly one of end and count', () => {
    expect(rangeReason({ start: '+442079460000' })).toBe('END_OR_COUNT');
    expect(rangeReason({ start: '+442079460000', end: '+442079460001', count: 2 })).toBe(
      'END_OR_COUNT',
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('R-4 refuses count %s with INVALID_COUNT', (count) => {
    expect(rangeReason({ start: '+442079460000', count })).toBe('INVALID_COUNT');
  });

  it('R-4 refuses an invalid end with INVALID_NUMBER naming the end', () => {
    const e = caught(() => parseRange({ start: '+442079460000', end: '+4420794600' }));
    expect(e.code).toBe('INVALID_NUMBER');
    expect(e.details).toMatchObject({ field: 'end', reason: 'INVALID_FOR_COUNTRY' });
  });

  it('R-4 refuses an invalid start with INVALID_NUMBER naming the start', () => {
    const e = caught(() => parseRange({ start: '4.42079E+11', count: 10 }));
    expect(e.code).toBe('INVALID_NUMBER');
    expect(e.details).toMatchObject({ field: 'start', reason: 'SCIENTIFIC_NOTATION' });
  });

  it('R-4 refuses a computed end that is not a valid number', () => {
    // The next number falls into Ofcom's drama range 07700 900xxx, invalid in metadata.
    const e = caught(() => parseRange({ start: '+447700899999', count: 2 }));
    expect(e.code).toBe('INVALID_NUMBER');
    expect(e.details).toMatchObject({ field: 'end' });
  });
});

describe('R-2 properties', () => {
  const countries: (CountryCode | undefined)[] = [undefined, 'GB', 'US', 'DE', 'FR', 'IT', 'AU'];
  // Real prefixes keep a useful share of inputs valid; bare digits exercise the refusals.
  const prefixes = ['', '+', '00', '+44', '+4420794', '+1201', '+4915', '+336', '+3906', '0', '07'];
  const input = fc
    .tuple(fc.constantFrom(...prefixes), fc.stringMatching(/^[0-9]{0,14}$/))
    .map(([p, d]) => p + d);

  it('R-2 normalizeNumber never throws and agrees with libphonenumber whenever ok', () => {
    let accepted = 0;
    fc.assert(
      fc.property(input, fc.constantFrom(...countries), (text, country) => {
        const result = normalizeNumber(text, country);
        if (!result.ok) return;
        accepted++;
        const { e164 } = result.value;
        expect(isE164Shape(e164)).toBe(true);
        const own = parsePhoneNumberWithError(e164);
        expect(own.number).toBe(e164);
        expect(own.isValid()).toBe(true);
        expect(own.country).toBe(result.value.country);
        // Our `00` rule is country-independent; libphonenumber only knows each country's IDD.
        if (!text.startsWith('00')) {
          expect(parsePhoneNumberWithError(text, country).number).toBe(e164);
        }
      }),
      { numRuns: 5000 },
    );
    // A property that never sees a valid number would prove nothing.
    expect(accepted).toBeGreaterThan(100);
  });

  it('R-2 normalizeNumber never throws on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 30 }),
        fc.option(fc.string()),
        (s, c) => {
          const result = normalizeNumber(s, c ?? undefined);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('R-2 isE164Shape matches +, a non-zero digit, and at most 15 digits', () => {
    expect(isE164Shape('+1')).toBe(true);
    expect(isE164Shape('+123456789012345')).toBe(true);
    expect(isE164Shape('+1234567890123456')).toBe(false);
    expect(isE164Shape('+0123')).toBe(false);
    expect(isE164Shape('44123')).toBe(false);
    expect(isE164Shape('+44 123')).toBe(false);
  });
});
