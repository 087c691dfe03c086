/** The only place with SQL for customer services (SPEC §5). */
import type { Insertable, Selectable, Transaction, Updateable } from 'kysely';
import type { Db } from '../db/pool.js';
import type { DB, ServicesTable } from '../db/schema.js';

export type ServiceRow = Selectable<ServicesTable>;
type Executor = Db | Transaction<DB>;

export const findService = (db: Executor, customerId: string, id: string) =>
  db
    .selectFrom('services')
    .selectAll()
    .where('id', '=', id)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();

export const lockService = (trx: Transaction<DB>, customerId: string, id: string) =>
  trx
    .selectFrom('services')
    .selectAll()
    .where('id', '=', id)
    .where('customer_id', '=', customerId)
    .forUpdate()
    .executeTakeFirst();

export const findServiceById = (db: Executor, id: string) =>
  db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst();

export const listServices = (db: Executor, customerId: string) =>
  db
    .selectFrom('services')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();

export const insertService = (trx: Transaction<DB>, row: Insertable<ServicesTable>) =>
  trx.insertInto('services').values(row).returningAll().executeTakeFirstOrThrow();

export const updateService = (
  trx: Transaction<DB>,
  id: string,
  version: number,
  set: Updateable<ServicesTable>,
) =>
  trx
    .updateTable('services')
    .set({ ...set, updated_at: new Date(), version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();

export const deleteService = (trx: Transaction<DB>, id: string) =>
  trx.deleteFrom('services').where('id', '=', id).execute();

/** Numbers carrying this service, in e164 order. */
export const serviceNumbers = (db: Executor, serviceId: string) =>
  db
    .selectFrom('numbers')
    .select(['e164', 'status'])
    .where('service_id', '=', serviceId)
    .orderBy('e164')
    .execute();

/** does the customer hold any number at the site? */
export async function customerHoldsNumbersAtSite(
  db: Executor,
  customerId: string,
  siteId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('numbers')
    .select('e164')
    .where('customer_id', '=', customerId)
    .where('site_id', '=', siteId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** another hostedVoice service of the customer at the site? */
export async function otherHostedVoiceAtSite(
  db: Executor,
  customerId: string,
  siteId: string,
  exceptId: string | null,
): Promise<boolean> {
  let q = db
    .selectFrom('services')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('site_id', '=', siteId)
    .where('platform', '=', 'hostedVoice');
  if (exceptId) q = q.where('id', '<>', exceptId);
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

/** Is there an active consent for this Teams tenant? (R-30 start state of Teams services) */
export async function hasActiveConsent(db: Executor, tenantId: string | null): Promise<boolean> {
  if (!tenantId) return false;
  const row = await db
    .selectFrom('consents')
    .select('tenant_id')
    .where('tenant_id', '=', tenantId)
    .where('platform_status', '=', 'active')
    .executeTakeFirst();
  return row !== undefined;
}
