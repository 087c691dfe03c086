/**
 * SPEC §7 automatic allocation, carried out: decide (R-44), plan (R-40..R-43,
 * pure, src/domain/allocation.ts), then allocate / nominate main / activate
 * through the numbers' lifecycle rules, all in the caller's transaction — so
 * the service that triggered it and its numbers commit or fail together.
 */
import type { Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { DB } from '../db/schema.js';
import {
  allocationCount,
  planAutoAllocation,
  shouldAutoAllocate,
  type AllocationPolicy,
} from '../domain/allocation.js';
import type { Action } from '../domain/lifecycle.js';
import { AppError } from '../http/errors.js';
import { insertJob } from '../jobs/jobs.repository.js';
import type { NumbersService } from '../numbers/numbers.service.js';
import { readSetting } from '../settings/settings.repository.js';
import {
  customerHoldsNumbersAtSite,
  otherHostedVoiceAtSite,
} from '../services/services.repository.js';
import { lockCandidates, setServiceOfNumbers } from './auto-allocation.repository.js';

export interface AutoAllocationTarget {
  customerId: string;
  serviceId: string;
  platform: string;
  quantity: number;
  site: { id: string; name: string; allocation_policy: AllocationPolicy };
}

export interface AutoAllocationResult {
  jobId: string;
  policy: AllocationPolicy;
  numbers: string[];
  main: string | null;
  activated: string[];
  reserved: string[];
}

export type AutoAllocationOutcome =
  | { ran: true; result: AutoAllocationResult }
  | { ran: false; reason: 'notHostedVoice' | 'customerHoldsNumbersAtSite' | 'serviceExistsAtSite' };

export interface AutoAllocationDeps {
  numbers: NumbersService;
  now: () => Date;
}

async function act(
  deps: AutoAllocationDeps,
  trx: Transaction<DB>,
  actor: Actor,
  e164s: readonly string[],
  action: Action,
) {
  if (e164s.length === 0) return;
  const { refusals } = await deps.numbers.applyInTransaction(trx, actor, e164s, action);
  // All or nothing: any refusal rolls the whole transaction back.
  for (const err of refusals.values()) throw err;
}

/**
 * Runs automatic allocation for a hostedVoice service just added (R-44 decides
 * whether it applies). Throws NOT_ENOUGH_NUMBERS with `needed` and
 * `available` when the site has too few eligible numbers.
 */
export async function autoAllocate(
  deps: AutoAllocationDeps,
  trx: Transaction<DB>,
  actor: Actor,
  t: AutoAllocationTarget,
): Promise<AutoAllocationOutcome> {
  if (t.platform !== 'hostedVoice') return { ran: false, reason: 'notHostedVoice' };
  const holds = await customerHoldsNumbersAtSite(trx, t.customerId, t.site.id);
  const other = await otherHostedVoiceAtSite(trx, t.customerId, t.site.id, t.serviceId);
  const facts = {
    platform: t.platform,
    isNewService: true,
    customerHasHostedVoiceAtSite: other,
    customerHoldsNumbersAtSite: holds,
  };
  if (!shouldAutoAllocate(facts)) {
    return { ran: false, reason: holds ? 'customerHoldsNumbersAtSite' : 'serviceExistsAtSite' };
  }
  const createMain = await readSetting(trx, 'createMainNumberAutomatically');
  const now = deps.now();
  const policy = t.site.allocation_policy;
  const plan = planAutoAllocation({
    policy,
    quantity: t.quantity,
    createMain,
    candidates: await lockCandidates(trx, t.site.id, now),
    now,
  });
  if (!plan.ok) {
    throw new AppError(
      'NOT_ENOUGH_NUMBERS',
      `automatic allocation at site "${t.site.name}" needs ${plan.needed} numbers ` +
        `(${policy}, quantity ${t.quantity}${createMain ? ' + main number' : ''}); ` +
        `${plan.available} are available (R-43). Nothing was changed.`,
      { rule: 'R-43', needed: plan.needed, available: plan.available, siteId: t.site.id },
    );
  }
  const holder = { type: 'customer' as const, customerId: t.customerId };
  await act(deps, trx, actor, plan.numbers, { type: 'allocate', holder });
  await setServiceOfNumbers(trx, plan.numbers, t.serviceId);
  if (plan.main) await act(deps, trx, actor, [plan.main], { type: 'setMain' });
  await act(deps, trx, actor, plan.activate, { type: 'activate' });

  const summary = {
    serviceId: t.serviceId,
    siteId: t.site.id,
    policy,
    quantity: t.quantity,
    createMain,
    needed: allocationCount(policy, t.quantity, createMain),
  };
  const job = await insertJob(trx, actor, {
    kind: 'autoAllocation',
    status: 'succeeded',
    customerId: t.customerId,
    total: plan.numbers.length,
    done: plan.numbers.length,
    params: summary,
    result: {
      numbers: plan.numbers,
      main: plan.main,
      activated: plan.activate,
      reserved: plan.reserve,
    },
  });
  await writeAudit(trx, actor, [
    ...plan.numbers.map((e164) => ({
      action: 'number.update',
      objectType: 'number',
      objectId: e164,
      customerId: t.customerId,
      changes: { serviceId: [null, t.serviceId] },
    })),
    {
      action: 'service.autoAllocate',
      objectType: 'service',
      objectId: t.serviceId,
      customerId: t.customerId,
      changes: {
        ...summary,
        jobId: job.id,
        allocated: plan.numbers,
        main: plan.main,
        activated: plan.activate,
        reserved: plan.reserve,
      },
    },
  ]);
  return {
    ran: true,
    result: {
      jobId: job.id,
      policy,
      numbers: plan.numbers,
      main: plan.main,
      activated: plan.activate,
      reserved: plan.reserve,
    },
  };
}
