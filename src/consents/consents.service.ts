/**
 * Consents — "Requests for Information" (SPEC §5): a Teams tenant asking this
 * operator for service. The platform owns the consent fields (status,
 * countries, contacts); the operator owns the customer relationship (R-34,
 * Keyed by tenant id so platform sync can upsert (`upsertFromPlatform`).
 */
import type { Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import { canSee, customerScope, type Principal } from '../auth/principal.js';
import { writeAudit } from '../audit/audit.repository.js';
import { insertCustomer, type CustomerRow } from '../customers/customers.repository.js';
import type { Db } from '../db/pool.js';
import type { DB } from '../db/schema.js';
import { assertRelationshipChange, isTeams, type RelationshipStatus } from '../domain/platform.js';
import { AppError, notFound } from '../http/errors.js';
import type { AutoAllocationOutcome } from '../allocation/auto-allocation.js';
import type { ServiceRow } from '../services/services.repository.js';
import type { NewService, ServicesService } from '../services/services.service.js';
import * as repo from './consents.repository.js';
import type { ConsentRow } from './consents.repository.js';

export interface Contact {
  fullName: string;
  email: string;
  telephoneNumber?: string | undefined;
  companyName?: string | undefined;
  companySize?: string | undefined;
}

/** What the platform reports about a consent (ACG RequestForInformationResource). */
export interface PlatformConsent {
  tenantId: string;
  externalId?: string | null | undefined;
  status?: 'active' | 'suspended' | 'removed' | undefined;
  consentedAt?: string | Date | null | undefined;
  lastModifiedAt?: string | Date | null | undefined;
  consentedCountries?: string[] | undefined;
  contacts?: Contact[] | undefined;
}

export interface RelationshipChange {
  status: RelationshipStatus;
  reason?: string | null | undefined;
  /** overrides the X-Ticket-Id header for this change. */
  ticketId?: string | null | undefined;
}

export interface NewCustomerFromConsent {
  accountName: string;
  name?: string | undefined;
  correlationId?: string | null | undefined;
  webexOrgId?: string | null | undefined;
  services?: NewService[] | undefined;
}

export const etagOfConsent = (c: Pick<ConsentRow, 'version'>) => `"${c.version}"`;

/** Platforms report "UK"; ISO 3166 says GB. */
export const normalizeCountry = (c: string) => {
  const up = c.trim().toUpperCase();
  return up === 'UK' ? 'GB' : up;
};

const iso = (d: Date | null) => d?.toISOString() ?? null;

function assertOperator(principal: Principal, what: string) {
  if (customerScope(principal) !== null)
    throw new AppError('FORBIDDEN', `a customer-scoped principal cannot ${what}`);
}

function uniqueError(err: unknown): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505') {
    const what = e.constraint?.includes('account_name')
      ? 'account name'
      : e.constraint?.includes('teams')
        ? 'Teams tenant id'
        : 'Webex org id';
    throw new AppError('ALREADY_EXISTS', `another customer has this ${what}`);
  }
  throw err;
}

export function createConsentsService(deps: { db: Db; services: ServicesService }) {
  const { db } = deps;

  /**
   * Insert or update the platform's side of a consent in the caller's
   * transaction: never touches the operator's relationship fields. Links the
   * consent to the customer that has this tenant id, if any.
   */
  async function upsertInTransaction(
    trx: Transaction<DB>,
    actor: Actor,
    input: PlatformConsent,
    mode: 'create' | 'upsert',
  ): Promise<{ row: ConsentRow; created: boolean }> {
    const existing = await repo.lockConsent(trx, input.tenantId);
    if (existing && mode === 'create')
      throw new AppError('ALREADY_EXISTS', `a consent for tenant ${input.tenantId} exists`);
    const customer = await repo.customerByTenant(trx, input.tenantId);
    const values = {
      ...(input.externalId !== undefined ? { external_id: input.externalId } : {}),
      ...(input.status !== undefined ? { platform_status: input.status } : {}),
      ...(input.consentedAt !== undefined ? { consented_at: input.consentedAt } : {}),
      ...(input.lastModifiedAt !== undefined ? { platform_modified_at: input.lastModifiedAt } : {}),
      ...(input.consentedCountries !== undefined
        ? { consented_countries: [...new Set(input.consentedCountries.map(normalizeCountry))] }
        : {}),
      ...(input.contacts !== undefined ? { contacts: JSON.stringify(input.contacts) } : {}),
    };
    if (!existing) {
      const row = await repo.insertConsent(trx, {
        tenant_id: input.tenantId,
        ...values,
        customer_id: customer?.id ?? null,
        source: actor.source,
        relationship_modified_at: new Date(),
      });
      await writeAudit(trx, actor, [
        {
          action: 'consent.create',
          objectType: 'consent',
          objectId: row.tenant_id,
          customerId: row.customer_id,
          changes: {
            status: [null, row.platform_status],
            relationshipStatus: [null, row.relationship_status],
            consentedCountries: [null, row.consented_countries],
          },
        },
      ]);
      return { row, created: true };
    }
    const set: Record<string, unknown> = { ...values };
    if (!existing.customer_id && customer) set.customer_id = customer.id;
    const before: Record<string, unknown> = {
      external_id: existing.external_id,
      platform_status: existing.platform_status,
      consented_at: iso(existing.consented_at),
      platform_modified_at: iso(existing.platform_modified_at),
      consented_countries: existing.consented_countries,
      contacts: JSON.stringify(existing.contacts),
      customer_id: existing.customer_id,
    };
    const changes: Record<string, [unknown, unknown]> = {};
    for (const [k, v] of Object.entries(set)) {
      const after =
        v instanceof Date
          ? v.toISOString()
          : typeof v === 'string' && k.endsWith('_at')
            ? new Date(v).toISOString()
            : v;
      if (JSON.stringify(before[k]) !== JSON.stringify(after)) changes[k] = [before[k], after];
    }
    if (Object.keys(changes).length === 0) return { row: existing, created: false };
    const row = (await repo.updateConsent(trx, existing.tenant_id, existing.version, set))!;
    await writeAudit(trx, actor, [
      {
        action: 'consent.update',
        objectType: 'consent',
        objectId: row.tenant_id,
        customerId: row.customer_id,
        changes,
      },
    ]);
    return { row, created: false };
  }

  /** an active consent lets the tenant's Teams services leave pendingConsent. */
  async function advanceServices(actor: Actor, row: ConsentRow): Promise<void> {
    if (row.platform_status !== 'active' || !row.customer_id) return;
    const all = await db
      .selectFrom('services')
      .select(['id', 'platform', 'status'])
      .where('customer_id', '=', row.customer_id)
      .where('status', '=', 'pendingConsent')
      .execute();
    for (const s of all)
      if (isTeams(s.platform)) await deps.services.giveConsent(actor, row.customer_id, s.id);
  }

  async function get(principal: Principal, tenantId: string): Promise<ConsentRow> {
    const row = await repo.findConsent(db, tenantId);
    if (!row || (customerScope(principal) !== null && !canSee(principal, row.customer_id)))
      throw notFound(`consent ${tenantId}`);
    return row;
  }

  return {
    get,

    list(
      principal: Principal,
      f: {
        after?: string | undefined;
        relationshipStatus?: string | undefined;
        platformStatus?: string | undefined;
        customerId?: string | undefined;
        limit: number;
      },
    ) {
      const own = customerScope(principal);
      if (own && f.customerId && f.customerId !== own) return Promise.resolve([]);
      return repo.listConsents(db, { ...f, customerId: own ?? f.customerId });
    },

    /** Record a consent by hand (or from the emulator); 409 when the tenant has one. */
    async create(actor: Actor, input: PlatformConsent): Promise<ConsentRow> {
      assertOperator(actor.principal, 'create consents');
      const { row } = await db
        .transaction()
        .execute((trx) => upsertInTransaction(trx, actor, input, 'create'));
      await advanceServices(actor, row);
      return (await repo.findConsent(db, row.tenant_id))!;
    },

    /** For platform sync: insert or refresh the platform's fields of a consent. */
    async upsertFromPlatform(actor: Actor, input: PlatformConsent) {
      const result = await db
        .transaction()
        .execute((trx) => upsertInTransaction(trx, actor, input, 'upsert'));
      await advanceServices(actor, result.row);
      return result;
    },

    /** The operator's relationship with the tenant (R-34 reasons, R-36 ticket ids). */
    async changeRelationship(
      actor: Actor,
      tenantId: string,
      change: RelationshipChange,
      ifMatch?: string,
    ): Promise<ConsentRow> {
      assertOperator(actor.principal, 'change consents');
      const ticketId = change.ticketId ?? actor.ticketId;
      const a: Actor = { ...actor, ticketId };
      return db.transaction().execute(async (trx) => {
        const row = await repo.lockConsent(trx, tenantId);
        if (!row) throw notFound(`consent ${tenantId}`);
        if (ifMatch !== undefined && ifMatch !== etagOfConsent(row))
          throw new AppError(
            'PRECONDITION_FAILED',
            `consent ${tenantId} changed since ETag ${ifMatch}`,
          );
        assertRelationshipChange(row.relationship_status, change.status, change.reason);
        const reason = change.reason?.trim() || null;
        const updated = (await repo.updateConsent(trx, tenantId, row.version, {
          relationship_status: change.status,
          relationship_reason: reason,
          relationship_ticket_id: ticketId,
          relationship_modified_at: new Date(),
        }))!;
        const changes: Record<string, [unknown, unknown]> = {
          relationshipStatus: [row.relationship_status, change.status],
        };
        if (reason !== row.relationship_reason) changes.reason = [row.relationship_reason, reason];
        await writeAudit(trx, a, [
          {
            action: 'consent.relationship',
            objectType: 'consent',
            objectId: tenantId,
            customerId: row.customer_id,
            changes,
          },
        ]);
        return updated;
      });
    },

    /**
     * SPEC §5: from a consent with a signed agreement, create the customer and
     * its services in one step (one transaction: a new hostedVoice service's
     * automatic allocation failing leaves nothing behind).
     */
    async createCustomer(
      actor: Actor,
      tenantId: string,
      input: NewCustomerFromConsent,
    ): Promise<{
      customer: CustomerRow;
      consent: ConsentRow;
      services: { service: ServiceRow; autoAllocation: AutoAllocationOutcome | null }[];
    }> {
      assertOperator(actor.principal, 'create customers');
      return db
        .transaction()
        .execute(async (trx) => {
          const consent = await repo.lockConsent(trx, tenantId);
          if (!consent) throw notFound(`consent ${tenantId}`);
          if (consent.customer_id)
            throw new AppError('ALREADY_EXISTS', `consent ${tenantId} already has a customer`, {
              customerId: consent.customer_id,
            });
          if (consent.relationship_status !== 'agreementSigned')
            throw new AppError(
              'CONFLICT',
              `the relationship is ${consent.relationship_status}; set it to agreementSigned before creating the customer`,
              { relationshipStatus: consent.relationship_status },
            );
          if (consent.platform_status !== 'active')
            throw new AppError(
              'CONFLICT',
              `the consent is ${consent.platform_status} on the platform`,
              {
                platformStatus: consent.platform_status,
              },
            );
          const contacts = consent.contacts as unknown as Contact[];
          const customer = await insertCustomer(trx, {
            name:
              input.name ?? contacts.find((c) => c.companyName)?.companyName ?? input.accountName,
            account_name: input.accountName,
            status: 'active',
            teams_tenant_id: tenantId,
            webex_org_id: input.webexOrgId ?? null,
            correlation_id: input.correlationId ?? null,
          });
          const linked = (await repo.updateConsent(trx, tenantId, consent.version, {
            customer_id: customer.id,
          }))!;
          await writeAudit(trx, actor, [
            {
              action: 'customer.create',
              objectType: 'customer',
              objectId: customer.id,
              customerId: customer.id,
              changes: {
                name: [null, customer.name],
                accountName: [null, customer.account_name],
                teamsTenantId: [null, tenantId],
              },
            },
            {
              action: 'consent.update',
              objectType: 'consent',
              objectId: tenantId,
              customerId: customer.id,
              changes: { customerId: [null, customer.id] },
            },
          ]);
          const services = [];
          for (const s of input.services ?? [])
            services.push(await deps.services.createInTransaction(trx, actor, customer, s));
          return { customer, consent: linked, services };
        })
        .catch(uniqueError);
    },
  };
}

export type ConsentsService = ReturnType<typeof createConsentsService>;
