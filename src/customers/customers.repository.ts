import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from '../db/pool.js';
import type { CustomersTable } from '../db/schema.js';

export type CustomerRow = Selectable<CustomersTable>;

export const findCustomer = (db: Db, id: string) =>
  db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();

export const lockCustomer = (db: Db, id: string) =>
  db.selectFrom('customers').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();

export const insertCustomer = (db: Db, row: Insertable<CustomersTable>) =>
  db.insertInto('customers').values(row).returningAll().executeTakeFirstOrThrow();

export const updateCustomer = (
  db: Db,
  id: string,
  version: number,
  set: Updateable<CustomersTable>,
) =>
  db
    .updateTable('customers')
    .set({ ...set, updated_at: new Date(), version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();

export function listCustomers(
  db: Db,
  f: {
    after?: string | undefined;
    status?: string | undefined;
    q?: string | undefined;
    only?: string | null;
    teamsTenantId?: string | undefined;
    webexOrgId?: string | undefined;
    correlationId?: string | undefined;
    limit: number;
  },
) {
  let q = db.selectFrom('customers').selectAll().orderBy('account_name').limit(f.limit);
  if (f.after) q = q.where('account_name', '>', f.after);
  if (f.status) q = q.where('status', '=', f.status as CustomerRow['status']);
  if (f.only) q = q.where('id', '=', f.only);
  if (f.teamsTenantId) q = q.where('teams_tenant_id', '=', f.teamsTenantId);
  if (f.webexOrgId) q = q.where('webex_org_id', '=', f.webexOrgId);
  if (f.correlationId) q = q.where('correlation_id', '=', f.correlationId);
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb('name', 'ilike', like), eb('account_name', 'ilike', like)]));
  }
  return q.execute();
}

export async function countHeldNumbers(db: Db, customerId: string): Promise<number> {
  const r = await db
    .selectFrom('numbers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export const heldNumbers = (db: Db, customerId: string) =>
  db
    .selectFrom('numbers')
    .select('e164')
    .where('customer_id', '=', customerId)
    .orderBy('e164')
    .execute();
