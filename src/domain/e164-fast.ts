/**
 * R-2 fast path for input already in E.164 (`+` and digits, nothing else).
 *
 * `normalizeNumber` (e164.ts) runs libphonenumber-js, which rebuilds every
 * regular expression from its pattern text on each call (`new RegExp` over
 * patterns of kilobytes): 30–50k numbers/s. This module walks the same
 * metadata with the same decisions, in the same order, but compiles each
 * pattern once. It is conservative: it answers only "valid, with this
 * country and kind" and only where the path through libphonenumber is the
 * plain one; anything else (national prefix that could be stripped, unknown
 * country, invalid, odd shape) goes to `normalizeNumber`, so refusals carry
 * exactly the reason and message the slow path gives.
 *
 * Identity with libphonenumber-js on every input is asserted by the property
 * test test/unit/e164-fast.test.ts (random strings, every calling code with
 * random digits of every length, mutated example numbers).
 *
 * Mirrors, for a `+digits` input, libphonenumber-js 1.13:
 *   extractCountryCallingCode → extractNationalNumber (prefix for parsing) →
 *   getCountryByCallingCode / getCountryByNationalNumber → checkNumberLength
 *   (validatePhoneNumberLength) → isValid (getNumberType) → getType.
 */
import { Metadata } from 'libphonenumber-js/core';
import metadataJson from 'libphonenumber-js/max/metadata';
import {
  normalizeNumber,
  type NormalizeResult,
  type NumberKind,
  type ValidNumber,
} from './e164.js';

/** The parts of libphonenumber's Metadata / NumberingPlan API that we read. */
interface PlanApi {
  selectNumberingPlan(x: string): PlanApi;
  hasCallingCode(cc: string): boolean | undefined;
  getCountryCodesForCallingCode(cc: string): string[] | undefined;
  numberingPlan: {
    nationalPrefixForParsing(): string | undefined;
    possibleLengths(): number[] | undefined;
    nationalNumberPattern(): string;
    leadingDigits(): string | undefined;
    hasTypes(): boolean;
    type(t: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
  };
}

type LibType =
  | 'FIXED_LINE'
  | 'MOBILE'
  | 'PREMIUM_RATE'
  | 'TOLL_FREE'
  | 'SHARED_COST'
  | 'VOIP'
  | 'PERSONAL_NUMBER'
  | 'PAGER'
  | 'UAN'
  | 'VOICEMAIL'
  | 'FIXED_LINE_OR_MOBILE';

/** libphonenumber's order (getNumberType.js NON_FIXED_LINE_PHONE_TYPES). */
const NON_FIXED_LINE: readonly LibType[] = [
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
];

/** Same mapping as e164.ts KINDS. */
const KINDS: Partial<Record<LibType, NumberKind>> = {
  FIXED_LINE: 'fixedLine',
  FIXED_LINE_OR_MOBILE: 'fixedLine',
  MOBILE: 'mobile',
  TOLL_FREE: 'tollFree',
  PREMIUM_RATE: 'premiumRate',
  SHARED_COST: 'sharedCost',
  VOIP: 'voip',
  PERSONAL_NUMBER: 'personal',
  UAN: 'uan',
};

interface TypeDef {
  /** null when the type is absent or its pattern is empty (libphonenumber: never equal). */
  re: RegExp | null;
  lengths: number[] | undefined;
  /** The type exists with an empty pattern (matters for FIXED_LINE_OR_MOBILE). */
  emptyPattern: boolean;
  exists: boolean;
}

interface CountryPlan {
  country: string;
  national: RegExp;
  possibleLengths: number[] | undefined;
  hasTypes: boolean;
  leadingDigits: RegExp | null;
  types: Map<LibType, TypeDef>;
}

interface CallingPlan {
  /** `^(?:national prefix for parsing)` of the calling code's main country. */
  prefixForParsing: RegExp | null;
  countries: string[];
}

const entire = (pattern: string) => new RegExp(`^(?:${pattern})$`);

const countryPlans = new Map<string, CountryPlan>();
const callingPlans = new Map<string, CallingPlan | null>();

function metadata(): PlanApi {
  return new Metadata(metadataJson) as unknown as PlanApi;
}

function countryPlan(country: string): CountryPlan {
  let plan = countryPlans.get(country);
  if (plan) return plan;
  const np = metadata().selectNumberingPlan(country).numberingPlan;
  const types = new Map<LibType, TypeDef>();
  for (const t of ['FIXED_LINE', ...NON_FIXED_LINE] as LibType[]) {
    const def = np.hasTypes() ? np.type(t) : undefined;
    const pattern = def?.pattern();
    types.set(t, {
      exists: def !== undefined,
      emptyPattern: def !== undefined && pattern === '',
      re: def && pattern ? entire(pattern) : null,
      lengths: def?.possibleLengths(),
    });
  }
  const leading = np.leadingDigits();
  plan = {
    country,
    national: entire(np.nationalNumberPattern()),
    possibleLengths: np.possibleLengths(),
    hasTypes: np.hasTypes(),
    // String.prototype.search(string) compiles the string as a RegExp, unanchored.
    leadingDigits: leading ? new RegExp(leading) : null,
    types,
  };
  countryPlans.set(country, plan);
  return plan;
}

function callingPlan(cc: string): CallingPlan | null {
  const cached = callingPlans.get(cc);
  if (cached !== undefined) return cached;
  const m = metadata();
  let plan: CallingPlan | null = null;
  if (m.hasCallingCode(cc)) {
    const countries = m.getCountryCodesForCallingCode(cc);
    if (countries) {
      const npfp = m.selectNumberingPlan(cc).numberingPlan.nationalPrefixForParsing();
      plan = { prefixForParsing: npfp ? new RegExp(`^(?:${npfp})`) : null, countries };
    }
  }
  callingPlans.set(cc, plan);
  return plan;
}

function isTypeEqual(nsn: string, def: TypeDef | undefined): boolean {
  if (!def?.re) return false;
  if (def.lengths && !def.lengths.includes(nsn.length)) return false;
  return def.re.test(nsn);
}

/** getNumberType.js over a compiled plan. */
function numberType(nsn: string, plan: CountryPlan): LibType | undefined {
  if (!plan.national.test(nsn)) return undefined;
  if (isTypeEqual(nsn, plan.types.get('FIXED_LINE'))) {
    const mobile = plan.types.get('MOBILE')!;
    if (mobile.exists && mobile.emptyPattern) return 'FIXED_LINE_OR_MOBILE';
    if (!mobile.exists) return 'FIXED_LINE_OR_MOBILE';
    if (isTypeEqual(nsn, mobile)) return 'FIXED_LINE_OR_MOBILE';
    return 'FIXED_LINE';
  }
  for (const t of NON_FIXED_LINE) if (isTypeEqual(nsn, plan.types.get(t))) return t;
  return undefined;
}

/** checkNumberLength.js with no type: only IS_POSSIBLE lets the fast path go on. */
function lengthPossible(nsn: string, lengths: number[] | undefined): boolean {
  if (!lengths) return true;
  const n = nsn.length;
  if (lengths[0] === n) return true;
  if (lengths[0]! > n || lengths[lengths.length - 1]! < n) return false;
  return lengths.indexOf(n, 1) >= 0;
}

const FAST_SHAPE = /^\+[1-9][0-9]{3,14}$/;

/**
 * The fast path alone: a ValidNumber when the input is E.164 and valid on the
 * plain path, `null` when it cannot decide (the caller then asks
 * `normalizeNumber`). Never wrong when it answers.
 */
export function fastValidE164(input: string): ValidNumber | null {
  if (!FAST_SHAPE.test(input)) return null;
  // extractCountryCallingCode: the shortest prefix that is a calling code.
  let cc: string | null = null;
  let i = 2;
  for (; i <= 4 && i <= input.length; i++) {
    const candidate = input.slice(1, i);
    if (metadataHasCallingCode(candidate)) {
      cc = candidate;
      break;
    }
  }
  if (cc === null) return null;
  const calling = callingPlan(cc);
  if (!calling) return null; // non-geographic (+800 …): the slow path refuses it
  const nsn = input.slice(i);
  if (nsn.length < 2 || nsn.length > 17) return null;
  // extractNationalNumber could strip a national prefix: leave that to libphonenumber.
  if (calling.prefixForParsing?.test(nsn)) return null;
  let country: string | undefined;
  if (calling.countries.length === 1) {
    country = calling.countries[0];
  } else {
    for (const c of calling.countries) {
      const p = countryPlan(c);
      if (p.leadingDigits) {
        if (nsn.search(p.leadingDigits) === 0) {
          country = c;
          break;
        }
      } else if (numberType(nsn, p) !== undefined) {
        country = c;
        break;
      }
    }
  }
  if (country === undefined || country === '001') return null;
  const plan = countryPlan(country);
  if (!plan.hasTypes) return null;
  if (!lengthPossible(nsn, plan.possibleLengths)) return null;
  const type = numberType(nsn, plan);
  if (type === undefined) return null;
  return { e164: input, country, kind: KINDS[type] ?? 'unknown' };
}

const callingCodeCache = new Map<string, boolean>();
function metadataHasCallingCode(cc: string): boolean {
  let v = callingCodeCache.get(cc);
  if (v === undefined) {
    v = metadata().hasCallingCode(cc) === true;
    callingCodeCache.set(cc, v);
  }
  return v;
}

/**
 * the same answer as `normalizeNumber(input, defaultCountry)`, faster for
 * E.164 input. Refusals and other formats go through `normalizeNumber`.
 */
export function normalizeNumberFast(input: string, defaultCountry?: string): NormalizeResult {
  const fast = fastValidE164(input);
  return fast ? { ok: true, value: fast } : normalizeNumber(input, defaultCountry);
}
