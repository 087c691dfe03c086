import {
  isSupportedCountry,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
} from 'libphonenumber-js/max';
import type { CountryCode, NumberType, PhoneNumber } from 'libphonenumber-js/max';
import { DomainError } from './errors.js';

export type NumberKind =
  | 'fixedLine'
  | 'mobile'
  | 'tollFree'
  | 'premiumRate'
  | 'sharedCost'
  | 'voip'
  | 'personal'
  | 'uan'
  | 'unknown';

export interface ValidNumber {
  e164: string;
  /** ISO 3166 alpha-2 of the number itself: for shared calling codes (+1, +44, +7) the specific region. */
  country: string;
  kind: NumberKind;
}

/** Why an input was refused under R-2 (`details.reason` of INVALID_NUMBER). */
export const invalidReasons = [
  'EMPTY',
  'LETTERS',
  'SCIENTIFIC_NOTATION',
  'NOT_DIGITS',
  'TOO_SHORT',
  'TOO_LONG',
  'NO_COUNTRY',
  'INVALID_COUNTRY_CODE',
  'INVALID_FOR_COUNTRY',
] as const;
export type InvalidReason = (typeof invalidReasons)[number];

export type NormalizeResult =
  { ok: true; value: ValidNumber } | { ok: false; reason: InvalidReason; message: string };

const E164_SHAPE = /^\+[1-9][0-9]{0,14}$/;
/** E.164 allows at most 15 digits after the `+` (16 characters in all). */
const MAX_E164_DIGITS = 15;
/** Excel turns long numbers into `4.42079E+11` / `4,42E+11`: the lost digits cannot be recovered. */
const SCIENTIFIC = /^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$/;
const LETTER = /\p{L}/u;
/** Separators people and spreadsheets put in numbers; `\s` covers NBSP and narrow NBSP. */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212.()/]/g;

const KINDS: Partial<Record<NonNullable<NumberType>, NumberKind>> = {
  FIXED_LINE: 'fixedLine',
  // Metadata cannot tell fixed from mobile in NANP (+1); such numbers are sold as fixed lines.
  FIXED_LINE_OR_MOBILE: 'fixedLine',
  MOBILE: 'mobile',
  TOLL_FREE: 'tollFree',
  PREMIUM_RATE: 'premiumRate',
  SHARED_COST: 'sharedCost',
  VOIP: 'voip',
  PERSONAL_NUMBER: 'personal',
  UAN: 'uan',
};

export function isE164Shape(s: string): boolean {
  return E164_SHAPE.test(s);
}

function fail(reason: InvalidReason, message: string): NormalizeResult {
  return { ok: false, reason, message };
}

/**
 * R-2 / SPEC §3.5: normalise user input to E.164, or say why not. Never throws
 * and never guesses: anything that cannot be recovered exactly is refused.
 * National format needs `defaultCountry` (ISO alpha-2).
 */
export function normalizeNumber(input: string, defaultCountry?: string): NormalizeResult {
  let text = input.trim();
  if (text.startsWith("'")) text = text.slice(1).trim();
  if (text === '') return fail('EMPTY', 'number is empty');
  // Fast path for the common case (imports, API): already E.164, nothing to strip.
  if (E164_SHAPE.test(text)) return validate(text);

  // Scientific notation first: its `E` would otherwise be reported as a letter.
  if (SCIENTIFIC.test(text.replace(/\s/g, ''))) {
    return fail('SCIENTIFIC_NOTATION', `"${input}" is in scientific notation; digits were lost`);
  }
  // Letters before stripping, so vanity numbers such as 1-800-FLOWERS are named as such.
  if (LETTER.test(text)) return fail('LETTERS', `"${input}" contains letters`);

  let compact = text.replace(SEPARATORS, '');
  if (compact.startsWith('00')) compact = `+${compact.slice(2)}`;
  if (!/^\+?[0-9]+$/.test(compact)) {
    return fail('NOT_DIGITS', `"${input}" contains characters other than digits and separators`);
  }

  if (compact.startsWith('+')) {
    if (compact.length - 1 > MAX_E164_DIGITS) {
      return fail('TOO_LONG', `"${input}" has more than ${MAX_E164_DIGITS} digits`);
    }
    if (compact[1] === '0') {
      return fail('INVALID_COUNTRY_CODE', `"${input}" has no country calling code (starts with 0)`);
    }
    return validate(compact);
  }

  if (defaultCountry === undefined || defaultCountry === '') {
    return fail('NO_COUNTRY', `"${input}" is in national format but no country was given`);
  }
  const country = defaultCountry.toUpperCase();
  if (!isSupportedCountry(country)) {
    return fail('INVALID_COUNTRY_CODE', `unknown country "${defaultCountry}"`);
  }
  return validate(compact, country);
}

/** Validate `+digits` or national digits (with `country`) against libphonenumber metadata. */
function validate(text: string, country?: CountryCode): NormalizeResult {
  const lengthProblem = validatePhoneNumberLength(text, country);
  switch (lengthProblem) {
    case undefined:
      break;
    case 'INVALID_COUNTRY':
      return fail('INVALID_COUNTRY_CODE', `"${text}" has an unknown country calling code`);
    case 'TOO_SHORT':
    case 'NOT_A_NUMBER':
      return fail('TOO_SHORT', `"${text}" has too few digits`);
    case 'TOO_LONG':
      return fail('TOO_LONG', `"${text}" has too many digits`);
    case 'INVALID_LENGTH':
      // Between lengths the country uses: neither "too short" nor "too long" is true.
      return fail('INVALID_FOR_COUNTRY', `"${text}" has a digit count its country does not use`);
  }

  let parsed: PhoneNumber;
  try {
    parsed = parsePhoneNumberWithError(text, country);
  } catch (e) {
    // Length was checked above; what is left is metadata refusing the number.
    return fail('INVALID_FOR_COUNTRY', `"${text}" cannot be parsed: ${(e as Error).message}`);
  }
  if (!parsed.isValid()) {
    const where = parsed.country ?? `+${parsed.countryCallingCode}`;
    return fail('INVALID_FOR_COUNTRY', `${parsed.number} is not a valid number for ${where}`);
  }
  if (parsed.country === undefined) {
    // Non-geographic codes (+800, +881, ...) have no country, and §3.1 / R-3 need one.
    return fail(
      'INVALID_COUNTRY_CODE',
      `+${parsed.countryCallingCode} is a non-geographic calling code; numbers must belong to a country`,
    );
  }
  if (parsed.number.length > MAX_E164_DIGITS + 1) {
    return fail('TOO_LONG', `${parsed.number} is longer than E.164 allows`);
  }
  const type = parsed.getType();
  const kind = type === undefined ? 'unknown' : (KINDS[type] ?? 'unknown');
  return { ok: true, value: { e164: parsed.number, country: parsed.country, kind } };
}

/** like `normalizeNumber`, but throws DomainError INVALID_NUMBER (details.reason). */
export function parseNumber(input: string, defaultCountry?: string): ValidNumber {
  const result = normalizeNumber(input, defaultCountry);
  if (result.ok) return result.value;
  throw new DomainError('INVALID_NUMBER', result.message, 'R-2', { reason: result.reason, input });
}

/**
 * numbers for a site or location must belong to that place's country.
 * Compared by ISO country, not calling code: a Canadian (+1) number at a US
 * site, or a Guernsey (+44) number at a UK site, would route emergency calls
 * to the wrong authority.
 */
export function assertCountry(n: ValidNumber, country: string): void {
  const expected = country.toUpperCase();
  if (n.country !== expected) {
    throw new DomainError(
      'COUNTRY_MISMATCH',
      `${n.e164} belongs to ${n.country}, not ${expected}`,
      'R-3',
      { e164: n.e164, expected, actual: n.country },
    );
  }
}

/** at most this many numbers in one range. */
export const MAX_RANGE_SIZE = 1_000_000;

export type RangeReason =
  | 'LENGTH_MISMATCH'
  | 'END_BEFORE_START'
  | 'TOO_LARGE'
  | 'COUNTRY_MISMATCH'
  /** Neither or both of `end` and `count` were given. */
  | 'END_OR_COUNT'
  /** `count` is not an integer ≥ 1. */
  | 'INVALID_COUNT';

export interface RangeSpec {
  start: ValidNumber;
  end: ValidNumber;
  count: number;
}

function rangeError(
  reason: RangeReason,
  message: string,
  details: Record<string, unknown> = {},
): DomainError {
  return new DomainError('INVALID_RANGE', message, 'R-4', { reason, ...details });
}

/** Parse one end of a range; INVALID_NUMBER names the end in `details.field`. */
function parseEnd(field: 'start' | 'end', input: string, defaultCountry?: string): ValidNumber {
  const result = normalizeNumber(input, defaultCountry);
  if (result.ok) return result.value;
  throw new DomainError('INVALID_NUMBER', `range ${field}: ${result.message}`, 'R-2', {
    reason: result.reason,
    input,
    field,
  });
}

/**
 * a range is `start`-`end` or `start` + `count`: both ends valid numbers
 * of the same length and country, end ≥ start, at most MAX_RANGE_SIZE numbers.
 */
export function parseRange(
  input: { start: string; end?: string; count?: number },
  defaultCountry?: string,
): RangeSpec {
  const start = parseEnd('start', input.start, defaultCountry);
  const hasEnd = input.end !== undefined;
  const hasCount = input.count !== undefined;
  if (hasEnd === hasCount) {
    throw rangeError('END_OR_COUNT', 'give exactly one of end and count');
  }

  const startDigits = start.e164.slice(1);
  let end: ValidNumber;
  if (input.count !== undefined) {
    const count = input.count;
    if (!Number.isSafeInteger(count) || count < 1) {
      throw rangeError('INVALID_COUNT', `count must be an integer ≥ 1, got ${count}`, { count });
    }
    if (count > MAX_RANGE_SIZE) {
      throw rangeError(
        'TOO_LARGE',
        `a range holds at most ${MAX_RANGE_SIZE} numbers, got ${count}`,
        { count },
      );
    }
    // BigInt: 15 digits exceed Number's exact integer range.
    const endDigits = (BigInt(startDigits) + BigInt(count - 1)).toString();
    if (endDigits.length !== startDigits.length) {
      throw rangeError(
        'LENGTH_MISMATCH',
        `${start.e164} + ${count} numbers overflows the number length`,
        { count },
      );
    }
    end = parseEnd('end', `+${endDigits}`);
  } else {
    end = parseEnd('end', input.end ?? '', defaultCountry);
  }

  const endDigits = end.e164.slice(1);
  if (endDigits.length !== startDigits.length) {
    throw rangeError('LENGTH_MISMATCH', `${start.e164} and ${end.e164} differ in length`);
  }
  if (endDigits < startDigits) {
    // Same length, so string order is numeric order.
    throw rangeError('END_BEFORE_START', `${end.e164} is before ${start.e164}`);
  }
  if (end.country !== start.country) {
    throw rangeError(
      'COUNTRY_MISMATCH',
      `${start.e164} is in ${start.country} but ${end.e164} is in ${end.country}`,
    );
  }
  const size = BigInt(endDigits) - BigInt(startDigits) + 1n;
  if (size > BigInt(MAX_RANGE_SIZE)) {
    throw rangeError('TOO_LARGE', `a range holds at most ${MAX_RANGE_SIZE} numbers, got ${size}`, {
      count: Number(size),
    });
  }
  return { start, end, count: Number(size) };
}
