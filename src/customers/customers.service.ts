/** Customers: who the operator serves. Closing needs the customer to hold no numbers. */
import type { Actor } from '../actor.js';
import { canSee, customerScope, type Principal } from '../auth/principal.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import { AppError, notFound } from '../http/errors.js';
import type { NumbersService } from '../numbers/numbers.service.js';
import { BULK_LIMIT } from '../numbers/numbers.service.js';
import * as repo from './customers.repository.js';

export interface CustomerInput {
  name?: string | undefined;
  accountName?: string | undefined;
  status?: 'active' | 'suspended' | undefined;
  teamsTenantId?: string | null | undefined;
  webexOrgId?: string | null | undefined;
  correlationId?: string | null | undefined;
}

const columns = {
  name: 'name',
  accountName: 'account_name',
  status: 'status',
  teamsTenantId: 'teams_tenant_id',
  webexOrgId: 'webex_org_id',
  correlationId: 'correlation_id',
} as const;

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

function assertOperator(principal: Principal, what: string) {
  if (customerScope(principal) !== null)
    throw new AppError('FORBIDDEN', `a customer-scoped principal cannot ${what}`);
}

export function createCustomersService(deps: { db: Db; numbers: NumbersService }) {
  const { db } = deps;

  async function get(principal: Principal, id: string) {
    if (!canSee(principal, id)) throw notFound(`customer ${id}`);
    const row = await repo.findCustomer(db, id);
    if (!row) throw notFound(`customer ${id}`);
    return row;
  }

  return {
    get,
    list: (
      principal: Principal,
      f: {
        after?: string | undefined;
        status?: string | undefined;
        q?: string | undefined;
        teamsTenantId?: string | undefined;
        webexOrgId?: string | undefined;
        correlationId?: string | undefined;
        limit: number;
      },
    ) => repo.listCustomers(db, { ...f, only: customerScope(principal) }),

    async create(actor: Actor, input: CustomerInput & { name: string; accountName: string }) {
      assertOperator(actor.principal, 'create customers');
      return db
        .transaction()
        .execute(async (trx) => {
          const row = await repo.insertCustomer(trx, {
            name: input.name,
            account_name: input.accountName,
            status: input.status ?? 'active',
            teams_tenant_id: input.teamsTenantId ?? null,
            webex_org_id: input.webexOrgId ?? null,
            correlation_id: input.correlationId ?? null,
          });
          await writeAudit(trx, actor, [
            {
              action: 'customer.create',
              objectType: 'customer',
              objectId: row.id,
              customerId: row.id,
              changes: { name: [null, row.name], accountName: [null, row.account_name] },
            },
          ]);
          return row;
        })
        .catch(uniqueError);
    },

    async update(actor: Actor, id: string, input: CustomerInput, ifMatch?: string) {
      assertOperator(actor.principal, 'change customers');
      return db
        .transaction()
        .execute(async (trx) => {
          const row = await repo.lockCustomer(trx, id);
          if (!row) throw notFound(`customer ${id}`);
          if (ifMatch !== undefined && ifMatch !== `"${row.version}"`) {
            throw new AppError(
              'PRECONDITION_FAILED',
              `customer ${id} changed since ETag ${ifMatch}`,
            );
          }
          if (row.status === 'closed')
            throw new AppError('CUSTOMER_CLOSED', `customer ${id} is closed`);
          // The platform keys a tenant's numbers by tenant id: it changes only
          // while no Teams service holds numbers (ACG AccountServiceDetails).
          if (input.teamsTenantId !== undefined && input.teamsTenantId !== row.teams_tenant_id) {
            const teams = await trx
              .selectFrom('numbers')
              .innerJoin('services', 'services.id', 'numbers.service_id')
              .select('numbers.e164')
              .where('services.customer_id', '=', id)
              .where('services.platform', 'in', ['teamsOperatorConnect', 'teamsPhoneMobile'])
              .limit(1)
              .executeTakeFirst();
            if (teams)
              throw new AppError(
                'CONFLICT',
                `customer ${row.account_name} has numbers on Teams services; its Teams tenant id cannot change`,
              );
          }
          const set: Record<string, unknown> = {};
          const changes: Record<string, [unknown, unknown]> = {};
          for (const [k, v] of Object.entries(input)) {
            if (v === undefined) continue;
            const col = columns[k as keyof typeof columns];
            if (row[col] === v) continue;
            set[col] = v;
            changes[k] = [row[col], v];
          }
          if (Object.keys(set).length === 0) return row;
          const updated = await repo.updateCustomer(trx, id, row.version, set);
          if (!updated)
            throw new AppError('PRECONDITION_FAILED', `customer ${id} changed meanwhile`);
          await writeAudit(trx, actor, [
            {
              action: 'customer.update',
              objectType: 'customer',
              objectId: id,
              customerId: id,
              changes,
            },
          ]);
          return updated;
        })
        .catch(uniqueError);
    },

    /**
     * Close a customer. It must hold no numbers, unless `releaseNumbers`:
     * then its numbers are unassigned and released first (each cools off).
     */
    async close(actor: Actor, id: string, releaseNumbers: boolean) {
      assertOperator(actor.principal, 'close customers');
      const existing = await repo.findCustomer(db, id);
      if (!existing) throw notFound(`customer ${id}`);
      if (releaseNumbers) {
        const held = (await repo.heldNumbers(db, id)).map((r) => r.e164);
        for (let i = 0; i < held.length; i += BULK_LIMIT) {
          const chunk = held.slice(i, i + BULK_LIMIT);
          await deps.numbers.bulk(actor, chunk, { type: 'unassign' });
          await deps.numbers.bulk(actor, chunk, { type: 'release' });
        }
      }
      return db.transaction().execute(async (trx) => {
        const row = await repo.lockCustomer(trx, id);
        if (!row) throw notFound(`customer ${id}`);
        if (row.status === 'closed') return row;
        const held = await repo.countHeldNumbers(trx, id);
        if (held > 0) {
          throw new AppError(
            'CUSTOMER_HAS_NUMBERS',
            `customer ${row.account_name} still holds ${held} number(s); release them or close with releaseNumbers=true`,
            { held },
          );
        }
        const updated = (await repo.updateCustomer(trx, id, row.version, { status: 'closed' }))!;
        await writeAudit(trx, actor, [
          {
            action: 'customer.close',
            objectType: 'customer',
            objectId: id,
            customerId: id,
            changes: { status: [row.status, 'closed'] },
          },
        ]);
        return updated;
      });
    },
  };
}

export type CustomersService = ReturnType<typeof createCustomersService>;
