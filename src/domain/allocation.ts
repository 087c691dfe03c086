/**
 * SPEC §7 automatic allocation for hosted voice (R-40..R-44), as pure
 * functions: how many numbers, which ones, which becomes main, which are
 * activated. The service layer loads the candidates (locked), calls
 * `planAutoAllocation`, and carries the plan out through the lifecycle rules.
 */
import type { Usage } from './lifecycle.js';

export type AllocationPolicy = 'batchOf5' | 'exact';

/** batch size of the UK policy. */
export const BATCH_SIZE = 5;

/**
 * how many numbers to allocate for `quantity` seats. `batchOf5` rounds
 * seats plus the main number up to a multiple of five; `exact` takes exactly
 * that many.
 */
export function allocationCount(
  policy: AllocationPolicy,
  quantity: number,
  createMain: boolean,
): number {
  if (!Number.isSafeInteger(quantity) || quantity < 0) {
    throw new RangeError(`quantity must be an integer ≥ 0, got ${quantity}`);
  }
  const wanted = quantity + (createMain ? 1 : 0);
  switch (policy) {
    case 'batchOf5':
      return BATCH_SIZE * Math.ceil(wanted / BATCH_SIZE);
    case 'exact':
      return wanted;
  }
}

/** What R-41 needs to know about a number of the site. */
export interface Candidate {
  e164: string;
  /** A NumberKind (src/domain/e164.ts), as stored. */
  kind: string;
  status: 'available' | 'reserved' | 'active' | 'assigned';
  locked: boolean;
  coolingOffUntil: Date | null;
  usage: Usage | null;
  mainNumber: boolean;
  pending: boolean;
}

const EXCLUDED_KINDS: ReadonlySet<string> = new Set(['tollFree', 'premiumRate']);

/**
 * available, unlocked, not cooling off, neither toll-free nor premium
 * rate, no upstream change in flight. Numbers the operator set aside by
 * hand are left alone too: one already nominated main (it belongs to whoever
 * gets that main number) and one earmarked for an IVR / hunt group (usage
 * `application`, which can never become main, R-22).
 */
export function isEligible(c: Candidate, now: Date): boolean {
  return (
    c.status === 'available' &&
    !c.locked &&
    !(c.coolingOffUntil !== null && c.coolingOffUntil.getTime() > now.getTime()) &&
    !EXCLUDED_KINDS.has(c.kind) &&
    !c.pending &&
    !c.mainNumber &&
    c.usage !== 'application'
  );
}

/** Consecutive numbers: same length, digits differ by one. */
function digits(e164: string): bigint {
  return BigInt(e164.slice(1));
}

/** Sorted, de-duplicated numbers cut into runs of consecutive numbers. */
export function runsOf(numbers: readonly string[]): string[][] {
  const sorted = [...new Set(numbers)].sort((a, b) =>
    a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0,
  );
  const runs: string[][] = [];
  let run: string[] = [];
  for (const e of sorted) {
    const prev = run.at(-1);
    if (prev !== undefined && prev.length === e.length && digits(e) === digits(prev) + 1n) {
      run.push(e);
    } else {
      if (run.length) runs.push(run);
      run = [e];
    }
  }
  if (run.length) runs.push(run);
  return runs;
}

const byNumber = (a: string, b: string) =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

/**
 * R-41 "lowest first, contiguous where possible": `count` numbers out of
 * `pool`, or null when the pool is too small.
 * - If one run of consecutive numbers can hold them all, the lowest such run
 *   gives its first `count` numbers.
 * - Otherwise the numbers come from as few runs as possible: longest runs
 *   first (ties: the lower run), the last run used from its low end.
 * The answer is sorted ascending.
 */
export function chooseNumbers(pool: readonly string[], count: number): string[] | null {
  if (count === 0) return [];
  const runs = runsOf(pool);
  const total = runs.reduce((n, r) => n + r.length, 0);
  if (total < count) return null;
  const single = runs.find((r) => r.length >= count);
  if (single) return single.slice(0, count);
  const order = runs.map((r, i) => ({ r, i })).sort((a, b) => b.r.length - a.r.length || a.i - b.i);
  const out: string[] = [];
  for (const { r } of order) {
    const need = count - out.length;
    if (need === 0) break;
    out.push(...r.slice(0, need));
  }
  return out.sort(byNumber);
}

export interface AutoAllocationInput {
  policy: AllocationPolicy;
  quantity: number;
  /** The operator setting "create main number automatically" (m in R-40). */
  createMain: boolean;
  /** Numbers of the site (any order, any state: ineligible ones are skipped). */
  candidates: readonly Candidate[];
  now: Date;
}

export type AutoAllocationPlan =
  | {
      ok: true;
      /** All numbers to allocate, ascending. */
      numbers: string[];
      /** the number nominated as main, when m = 1. */
      main: string | null;
      /** the `quantity` numbers to activate. */
      activate: string[];
      /** The rest: allocated, left reserved. */
      reserve: string[];
    }
  | {
      /** all or nothing; says how many were needed and how many exist. */
      ok: false;
      needed: number;
      available: number;
    };

/**
 * R-40..R-43: the whole plan. The main number is the lowest chosen number,
 * the next `quantity` are activated, the rest stay reserved — so a customer's
 * reception number sits at the start of its block.
 */
export function planAutoAllocation(input: AutoAllocationInput): AutoAllocationPlan {
  const needed = allocationCount(input.policy, input.quantity, input.createMain);
  const pool = input.candidates.filter((c) => isEligible(c, input.now)).map((c) => c.e164);
  const chosen = chooseNumbers(pool, needed);
  if (chosen === null) return { ok: false, needed, available: new Set(pool).size };
  const main = input.createMain ? chosen[0]! : null;
  const rest = input.createMain ? chosen.slice(1) : chosen;
  return {
    ok: true,
    numbers: chosen,
    main,
    activate: rest.slice(0, input.quantity),
    reserve: rest.slice(input.quantity),
  };
}

export interface AutomationFacts {
  platform: string;
  /** The service is being added now (not a change of an existing one). */
  isNewService: boolean;
  /** Another hostedVoice service of this customer exists at the site. */
  customerHasHostedVoiceAtSite: boolean;
  /** The customer holds numbers at the site (any state but available). */
  customerHoldsNumbersAtSite: boolean;
}

/**
 * R-44 and SPEC §7's trigger: automation runs only when a hostedVoice service
 * is added for a customer at a site for the first time and the customer holds
 * no numbers there. Manual allocation wins; quantity changes never allocate.
 */
export function shouldAutoAllocate(f: AutomationFacts): boolean {
  return (
    f.platform === 'hostedVoice' &&
    f.isNewService &&
    !f.customerHasHostedVoiceAtSite &&
    !f.customerHoldsNumbersAtSite
  );
}
