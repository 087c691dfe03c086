/** The only place with SQL for civic addresses and locations (SPEC §6). */
import { sql, type Insertable, type Selectable, type Transaction, type Updateable } from 'kysely';
import type { Db } from '../db/pool.js';
import type { CivicAddressesTable, DB, LocationsTable } from '../db/schema.js';

export type AddressRow = Selectable<CivicAddressesTable>;
export type LocationRow = Selectable<LocationsTable>;
type Executor = Db | Transaction<DB>;

export const findAddress = (db: Executor, id: string) =>
  db.selectFrom('civic_addresses').selectAll().where('id', '=', id).executeTakeFirst();

export const lockAddress = (trx: Transaction<DB>, id: string) =>
  trx.selectFrom('civic_addresses').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();

export const findLocation = (db: Executor, id: string) =>
  db.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst();

export const locationsOf = (db: Executor, addressIds: readonly string[]) =>
  addressIds.length === 0
    ? Promise.resolve([] as LocationRow[])
    : db
        .selectFrom('locations')
        .selectAll()
        .where('civic_address_id', 'in', [...addressIds])
        .orderBy('civic_address_id')
        .orderBy('created_at')
        .orderBy('id')
        .execute();

export const defaultLocation = (db: Executor, addressId: string) =>
  db
    .selectFrom('locations')
    .selectAll()
    .where('civic_address_id', '=', addressId)
    .where('is_default', '=', true)
    .executeTakeFirst();

export function listAddresses(
  db: Executor,
  f: {
    customerId?: string | null | undefined;
    operatorOnly?: boolean;
    after?: string;
    limit: number;
  },
) {
  let q = db.selectFrom('civic_addresses').selectAll().orderBy('id').limit(f.limit);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.operatorOnly) q = q.where('customer_id', 'is', null);
  if (f.after) q = q.where('id', '>', f.after);
  return q.execute();
}

export const insertAddress = (trx: Transaction<DB>, row: Insertable<CivicAddressesTable>) =>
  trx.insertInto('civic_addresses').values(row).returningAll().executeTakeFirstOrThrow();

export const updateAddress = (
  trx: Transaction<DB>,
  id: string,
  version: number,
  set: Updateable<CivicAddressesTable>,
) =>
  trx
    .updateTable('civic_addresses')
    .set({ ...set, updated_at: new Date(), version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();

export const insertLocations = (trx: Transaction<DB>, rows: Insertable<LocationsTable>[]) =>
  rows.length === 0
    ? Promise.resolve([] as LocationRow[])
    : trx.insertInto('locations').values(rows).returningAll().execute();

export const updateLocation = (trx: Transaction<DB>, id: string, set: Updateable<LocationsTable>) =>
  trx
    .updateTable('locations')
    .set({ ...set, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();

/** Clears the default flag of the address's other locations (one default per address). */
export const clearDefault = (trx: Transaction<DB>, addressId: string, exceptId: string | null) => {
  let q = trx
    .updateTable('locations')
    .set({ is_default: false, updated_at: new Date() })
    .where('civic_address_id', '=', addressId)
    .where('is_default', '=', true);
  if (exceptId) q = q.where('id', '<>', exceptId);
  return q.execute();
};

/** How many numbers use the address (or only one of its locations). */
export async function numbersUsing(
  db: Executor,
  addressId: string,
  locationId?: string,
): Promise<number> {
  let q = db
    .selectFrom('numbers')
    .select(sql<number>`count(*)`.as('n'))
    .where('civic_address_id', '=', addressId);
  if (locationId) q = q.where('location_id', '=', locationId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}
