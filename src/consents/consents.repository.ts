/** The only place with SQL for consents (Requests for Information, SPEC §5). */
import type { Insertable, Selectable, Transaction, Updateable } from 'kysely';
import type { Db } from '../db/pool.js';
import type { ConsentsTable, DB } from '../db/schema.js';

export type ConsentRow = Selectable<ConsentsTable>;
type Executor = Db | Transaction<DB>;

export const findConsent = (db: Executor, tenantId: string) =>
  db.selectFrom('consents').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();

export const lockConsent = (trx: Transaction<DB>, tenantId: string) =>
  trx
    .selectFrom('consents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .forUpdate()
    .executeTakeFirst();

export const insertConsent = (trx: Transaction<DB>, row: Insertable<ConsentsTable>) =>
  trx.insertInto('consents').values(row).returningAll().executeTakeFirstOrThrow();

export const updateConsent = (
  trx: Transaction<DB>,
  tenantId: string,
  version: number,
  set: Updateable<ConsentsTable>,
) =>
  trx
    .updateTable('consents')
    .set({ ...set, updated_at: new Date(), version: version + 1 })
    .where('tenant_id', '=', tenantId)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();

export function listConsents(
  db: Executor,
  f: {
    after?: string | undefined;
    relationshipStatus?: string | undefined;
    platformStatus?: string | undefined;
    customerId?: string | null | undefined;
    limit: number;
  },
) {
  let q = db.selectFrom('consents').selectAll().orderBy('tenant_id').limit(f.limit);
  if (f.after) q = q.where('tenant_id', '>', f.after);
  if (f.relationshipStatus)
    q = q.where(
      'relationship_status',
      '=',
      f.relationshipStatus as ConsentRow['relationship_status'],
    );
  if (f.platformStatus)
    q = q.where('platform_status', '=', f.platformStatus as 'active' | 'suspended' | 'removed');
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  return q.execute();
}

export const customerByTenant = (db: Executor, tenantId: string) =>
  db
    .selectFrom('customers')
    .select(['id', 'status'])
    .where('teams_tenant_id', '=', tenantId)
    .executeTakeFirst();
