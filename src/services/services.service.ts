/**
 * Customer services (SPEC §5): what a customer buys on one platform, its
 * status machine, and the automatic allocation a new hosted-voice
 * service triggers (SPEC §7). Knows nothing of HTTP.
 */
import type { Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import { autoAllocate, type AutoAllocationOutcome } from '../allocation/auto-allocation.js';
import { canSee, customerScope, type Principal } from '../auth/principal.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { CustomerRow } from '../customers/customers.repository.js';
import type { Db } from '../db/pool.js';
import type { DB } from '../db/schema.js';
import {
  initialServiceStatus,
  isTeams,
  nextServiceStatus,
  type Platform,
  type ServiceEvent,
} from '../domain/platform.js';
import { AppError, notFound, type FieldError } from '../http/errors.js';
import type { BulkResult, NumbersService } from '../numbers/numbers.service.js';
import { BULK_LIMIT } from '../numbers/numbers.service.js';
import * as repo from './services.repository.js';
import type { ServiceRow } from './services.repository.js';
import { uploadNumbers, type UploadInput, type UploadResult } from './services.upload.js';

export interface NewService {
  platform: Platform;
  syncEnabled?: boolean | undefined;
  mode?: 'integrated' | 'nonIntegrated' | undefined;
  sipConnection?: string | null | undefined;
  callingProfileId?: string | null | undefined;
  quantity?: number | undefined;
  siteId?: string | null | undefined;
  /** Default true: a new hostedVoice service allocates numbers automatically (SPEC §7). */
  autoAllocate?: boolean | undefined;
}

export interface ServicePatch {
  syncEnabled?: boolean | undefined;
  mode?: 'integrated' | 'nonIntegrated' | undefined;
  sipConnection?: string | null | undefined;
  callingProfileId?: string | null | undefined;
  quantity?: number | undefined;
}

export interface ServicesDeps {
  db: Db;
  numbers: NumbersService;
  now: () => Date;
}

export const etagOfService = (s: Pick<ServiceRow, 'version'>) => `"${s.version}"`;

const columns = {
  syncEnabled: 'sync_enabled',
  mode: 'mode',
  sipConnection: 'sip_connection',
  callingProfileId: 'calling_profile_id',
  quantity: 'quantity',
} as const;

function assertOperator(principal: Principal, what: string) {
  if (customerScope(principal) !== null)
    throw new AppError('FORBIDDEN', `a customer-scoped principal cannot ${what}`);
}

function invalid(errors: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', errors.map((e) => e.message).join('; '), {}, errors);
}

/** Field combinations the schema cannot express (also database checks). */
function shapeErrors(input: NewService): FieldError[] {
  const errors: FieldError[] = [];
  if (input.platform === 'hostedVoice') {
    if (!input.siteId)
      errors.push({ field: 'siteId', message: 'a hostedVoice service needs a site' });
    if (input.quantity === undefined)
      errors.push({ field: 'quantity', message: 'a hostedVoice service needs a quantity' });
  } else if (input.quantity !== undefined) {
    errors.push({ field: 'quantity', message: 'only hostedVoice services have a quantity' });
  }
  if (input.mode !== undefined && input.platform !== 'webexCloudConnect')
    errors.push({ field: 'mode', message: 'only webexCloudConnect services have a mode' });
  return errors;
}

export function createServicesService(deps: ServicesDeps) {
  const { db } = deps;

  async function customerFor(trx: Transaction<DB>, customerId: string): Promise<CustomerRow> {
    const c = await trx
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', customerId)
      .forShare()
      .executeTakeFirst();
    if (!c) throw notFound(`customer ${customerId}`);
    if (c.status === 'closed')
      throw new AppError('CUSTOMER_CLOSED', `customer ${c.account_name} is closed`);
    return c;
  }

  async function locked(trx: Transaction<DB>, customerId: string, id: string, ifMatch?: string) {
    const row = await repo.lockService(trx, customerId, id);
    if (!row) throw notFound(`service ${id}`);
    if (ifMatch !== undefined && ifMatch !== etagOfService(row))
      throw new AppError('PRECONDITION_FAILED', `service ${id} changed since ETag ${ifMatch}`, {
        etag: etagOfService(row),
      });
    return row;
  }

  /** move the service on `event`; writes the row and its audit event. */
  async function transition(
    trx: Transaction<DB>,
    actor: Actor,
    row: ServiceRow,
    event: ServiceEvent,
    extra: Partial<Pick<ServiceRow, 'consented_at'>> = {},
  ): Promise<ServiceRow | null> {
    const next = nextServiceStatus(row.status, event);
    if (next === 'gone') {
      await repo.deleteService(trx, row.id);
      await writeAudit(trx, actor, [
        {
          action: 'service.delete',
          objectType: 'service',
          objectId: row.id,
          customerId: row.customer_id,
          changes: { status: [row.status, null], platform: [row.platform, null] },
        },
      ]);
      return null;
    }
    const now = deps.now();
    const updated = await repo.updateService(trx, row.id, row.version, {
      status: next,
      last_modified_at: now,
      ...extra,
    });
    if (!updated) throw new AppError('PRECONDITION_FAILED', `service ${row.id} changed meanwhile`);
    const changes: Record<string, [unknown, unknown]> = {};
    if (next !== row.status) changes.status = [row.status, next];
    if (extra.consented_at !== undefined)
      changes.consentedAt = [row.consented_at?.toISOString() ?? null, now.toISOString()];
    await writeAudit(trx, actor, [
      {
        action: `service.${event}`,
        objectType: 'service',
        objectId: row.id,
        customerId: row.customer_id,
        changes,
      },
    ]);
    return updated;
  }

  /**
   * Create a service inside the caller's transaction (customers created from a
   * consent use it too). A new hostedVoice service runs automatic allocation
   * (R-40..R-44) in the same transaction: if that fails, nothing is created.
   */
  async function createInTransaction(
    trx: Transaction<DB>,
    actor: Actor,
    customer: CustomerRow,
    input: NewService,
  ): Promise<{ service: ServiceRow; autoAllocation: AutoAllocationOutcome | null }> {
    const errors = shapeErrors(input);
    let site:
      | { id: string; name: string; country: string; allocation_policy: 'batchOf5' | 'exact' }
      | undefined;
    if (input.siteId) {
      site = await trx
        .selectFrom('sites')
        .select(['id', 'name', 'country', 'allocation_policy'])
        .where('id', '=', input.siteId)
        .executeTakeFirst();
      if (!site) errors.push({ field: 'siteId', message: `site ${input.siteId} not found` });
    }
    if (errors.length) throw invalid(errors);
    const consented =
      isTeams(input.platform) && (await repo.hasActiveConsent(trx, customer.teams_tenant_id));
    const status = initialServiceStatus(input.platform, consented);
    const now = deps.now();
    let service = await repo.insertService(trx, {
      customer_id: customer.id,
      platform: input.platform,
      status,
      sync_enabled: input.syncEnabled ?? false,
      mode: input.platform === 'webexCloudConnect' ? (input.mode ?? 'integrated') : null,
      sip_connection: input.sipConnection ?? null,
      calling_profile_id: input.callingProfileId ?? null,
      quantity: input.platform === 'hostedVoice' ? (input.quantity ?? 0) : null,
      site_id: input.siteId ?? null,
      consented_at:
        status === 'pendingProvisioning' && input.platform !== 'hostedVoice' ? now : null,
      last_modified_at: now,
    });
    await writeAudit(trx, actor, [
      {
        action: 'service.create',
        objectType: 'service',
        objectId: service.id,
        customerId: customer.id,
        changes: {
          platform: [null, service.platform],
          status: [null, service.status],
          ...(service.quantity !== null ? { quantity: [null, service.quantity] } : {}),
          ...(service.site_id ? { siteId: [null, service.site_id] } : {}),
        },
      },
    ]);
    let outcome: AutoAllocationOutcome | null = null;
    if (input.platform === 'hostedVoice' && site && input.autoAllocate !== false) {
      outcome = await autoAllocate(deps, trx, actor, {
        customerId: customer.id,
        serviceId: service.id,
        platform: service.platform,
        quantity: service.quantity ?? 0,
        site,
      });
      if (outcome.ran && outcome.result.numbers.length > 0)
        service = (await transition(trx, actor, service, 'numbersProvisioned'))!;
    }
    return { service, autoAllocation: outcome };
  }

  return {
    createInTransaction,

    async list(principal: Principal, customerId: string): Promise<ServiceRow[]> {
      if (!canSee(principal, customerId)) throw notFound(`customer ${customerId}`);
      const exists = await db
        .selectFrom('customers')
        .select('id')
        .where('id', '=', customerId)
        .executeTakeFirst();
      if (!exists) throw notFound(`customer ${customerId}`);
      return repo.listServices(db, customerId);
    },

    async get(principal: Principal, customerId: string, id: string): Promise<ServiceRow> {
      if (!canSee(principal, customerId)) throw notFound(`service ${id}`);
      const row = await repo.findService(db, customerId, id);
      if (!row) throw notFound(`service ${id}`);
      return row;
    },

    async create(actor: Actor, customerId: string, input: NewService) {
      assertOperator(actor.principal, 'add services');
      return db.transaction().execute(async (trx) => {
        const customer = await customerFor(trx, customerId);
        return createInTransaction(trx, actor, customer, input);
      });
    },

    /** Change a service's settings. A quantity change never allocates numbers. */
    async update(
      actor: Actor,
      customerId: string,
      id: string,
      patch: ServicePatch,
      ifMatch?: string,
    ): Promise<ServiceRow> {
      assertOperator(actor.principal, 'change services');
      return db.transaction().execute(async (trx) => {
        const row = await locked(trx, customerId, id, ifMatch);
        const errors: FieldError[] = [];
        if (patch.quantity !== undefined && row.platform !== 'hostedVoice')
          errors.push({ field: 'quantity', message: 'only hostedVoice services have a quantity' });
        if (patch.mode !== undefined && row.platform !== 'webexCloudConnect')
          errors.push({ field: 'mode', message: 'only webexCloudConnect services have a mode' });
        if (errors.length) throw invalid(errors);
        if (row.status === 'removing') nextServiceStatus(row.status, 'numbersProvisioned'); // throws R-30: being removed
        const set: Record<string, unknown> = {};
        const changes: Record<string, [unknown, unknown]> = {};
        for (const [k, v] of Object.entries(patch)) {
          if (v === undefined) continue;
          const col = columns[k as keyof typeof columns];
          if (row[col] === v) continue;
          set[col] = v;
          changes[k] = [row[col], v];
        }
        if (Object.keys(set).length === 0) return row;
        const updated = await repo.updateService(trx, id, row.version, {
          ...set,
          last_modified_at: deps.now(),
        });
        if (!updated) throw new AppError('PRECONDITION_FAILED', `service ${id} changed meanwhile`);
        await writeAudit(trx, actor, [
          { action: 'service.update', objectType: 'service', objectId: id, customerId, changes },
        ]);
        return updated;
      });
    },

    /** R-30 `pendingConsent → pendingProvisioning`: the customer consented on its platform. */
    async giveConsent(actor: Actor, customerId: string, id: string): Promise<ServiceRow> {
      assertOperator(actor.principal, 'record consents');
      return db.transaction().execute(async (trx) => {
        const row = await locked(trx, customerId, id);
        return (await transition(trx, actor, row, 'consentGiven', { consented_at: deps.now() }))!;
      });
    },

    /**
     * R-30 `→ removing → gone`: the service's numbers are unassigned and
     * released (each cools off), then the service is deleted. Numbers a rule
     * refuses to release (e.g. a pending upstream change, R-13) keep the
     * service `removing`; asking again continues the removal.
     */
    async remove(
      actor: Actor,
      customerId: string,
      id: string,
    ): Promise<{
      gone: boolean;
      released: number;
      refused: BulkResult[];
      service: ServiceRow | null;
    }> {
      assertOperator(actor.principal, 'remove services');
      await db.transaction().execute(async (trx) => {
        const row = await locked(trx, customerId, id);
        if (row.status !== 'removing') await transition(trx, actor, row, 'removalRequested');
      });
      const held = (await repo.serviceNumbers(db, id)).map((r) => r.e164);
      const refused: BulkResult[] = [];
      let released = 0;
      for (let i = 0; i < held.length; i += BULK_LIMIT) {
        const chunk = held.slice(i, i + BULK_LIMIT);
        await deps.numbers.bulk(actor, chunk, { type: 'unassign' });
        for (const r of await deps.numbers.bulk(actor, chunk, { type: 'release' })) {
          if (r.ok) released++;
          else refused.push(r);
        }
      }
      return db.transaction().execute(async (trx) => {
        const row = await locked(trx, customerId, id);
        const left = await repo.serviceNumbers(trx, id);
        if (left.length > 0) return { gone: false, released, refused, service: row };
        await transition(trx, actor, row, 'removed');
        return { gone: true, released, refused, service: null };
      });
    },

    /** Upload numbers for a service: single, list, range or CSV (see services.upload.ts). */
    async upload(
      actor: Actor,
      customerId: string,
      id: string,
      input: UploadInput,
    ): Promise<UploadResult> {
      assertOperator(actor.principal, 'upload numbers');
      return uploadNumbers(
        { ...deps, transition: (trx, a, row) => transition(trx, a, row, 'numbersProvisioned') },
        actor,
        customerId,
        id,
        input,
        locked,
      );
    },
  };
}

export type ServicesService = ReturnType<typeof createServicesService>;
