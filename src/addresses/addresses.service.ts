/**
 * Civic addresses and their locations (SPEC §6). Addresses a customer keeps
 * on its platform arrive by sync and are read-only here; addresses the
 * operator keeps (hosted voice) are editable. An address or location that
 * numbers use cannot be deleted (also a foreign key).
 */
import type { Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import { canSee, customerScope, type Principal } from '../auth/principal.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import type { DB } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { AppError, notFound } from '../http/errors.js';
import * as repo from './addresses.repository.js';
import type { AddressRow, LocationRow } from './addresses.repository.js';

export interface AddressFields {
  companyName?: string | null | undefined;
  description?: string | null | undefined;
  street?: string | null | undefined;
  city?: string | null | undefined;
  region?: string | null | undefined;
  postalCode?: string | null | undefined;
  country?: string | undefined;
  validated?: boolean | undefined;
}

export interface LocationFields {
  description?: string | null | undefined;
  additionalInfo?: string | null | undefined;
  isDefault?: boolean | undefined;
  elin?: string | null | undefined;
}

export interface NewAddress extends AddressFields {
  customerId?: string | null | undefined;
  country: string;
  locations?: LocationFields[] | undefined;
}

/** A platform's address (ACG TeamsCivicAddressResource), for sync. */
export interface SyncedAddress extends AddressFields {
  externalId: string;
  country: string;
  locations: (LocationFields & { externalId: string })[];
}

export type AddressWithLocations = AddressRow & { locations: LocationRow[] };

const addressColumns = {
  companyName: 'company_name',
  description: 'description',
  street: 'street',
  city: 'city',
  region: 'region',
  postalCode: 'postal_code',
  country: 'country',
  validated: 'validated',
} as const;

const locationColumns = {
  description: 'description',
  additionalInfo: 'additional_info',
  isDefault: 'is_default',
  elin: 'elin',
} as const;

export const etagOfAddress = (a: Pick<AddressRow, 'version'>) => `"${a.version}"`;

function assertOperator(principal: Principal, what: string) {
  if (customerScope(principal) !== null)
    throw new AppError('FORBIDDEN', `a customer-scoped principal cannot ${what}`);
}

function columnsOf<T extends Record<string, string>>(
  map: T,
  input: object,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = input as Record<string, unknown>;
  for (const [k, col] of Object.entries(map)) if (values[k] !== undefined) out[col] = values[k];
  return out;
}

function readOnly(a: AddressRow): never {
  throw new DomainError(
    'ADDRESS_READ_ONLY',
    `civic address ${a.id} is kept by the customer on its platform and arrives by sync; it is read-only here`,
    undefined,
    { addressId: a.id },
  );
}

export function createAddressesService(deps: { db: Db }) {
  const { db } = deps;

  async function withLocations(rows: AddressRow[]): Promise<AddressWithLocations[]> {
    const locs = await repo.locationsOf(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({ ...r, locations: locs.filter((l) => l.civic_address_id === r.id) }));
  }

  async function lockEditable(trx: Transaction<DB>, id: string, ifMatch?: string) {
    const a = await repo.lockAddress(trx, id);
    if (!a) throw notFound(`civic address ${id}`);
    if (ifMatch !== undefined && ifMatch !== etagOfAddress(a))
      throw new AppError(
        'PRECONDITION_FAILED',
        `civic address ${id} changed since ETag ${ifMatch}`,
      );
    if (a.source === 'sync') readOnly(a);
    return a;
  }

  /** One default per address: the flagged one, else the first. */
  async function insertLocations(
    trx: Transaction<DB>,
    addressId: string,
    list: (LocationFields & { externalId?: string })[],
    hasDefault: boolean,
  ) {
    const anyDefault = hasDefault || list.some((l) => l.isDefault);
    let defaultGiven = false;
    const rows = list.map((l, i) => {
      const isDefault = (l.isDefault === true && !defaultGiven) || (!anyDefault && i === 0);
      if (isDefault) defaultGiven = true;
      return {
        civic_address_id: addressId,
        external_id: l.externalId ?? null,
        description: l.description ?? null,
        additional_info: l.additionalInfo ?? null,
        elin: l.elin ?? null,
        is_default: isDefault,
      };
    });
    if (rows.some((r) => r.is_default) && hasDefault) await repo.clearDefault(trx, addressId, null);
    return repo.insertLocations(trx, rows);
  }

  async function touch(trx: Transaction<DB>, a: AddressRow) {
    return (await repo.updateAddress(trx, a.id, a.version, {}))!;
  }

  return {
    async list(
      principal: Principal,
      f: { customerId?: string | undefined; operatorOnly?: boolean; after?: string; limit: number },
    ): Promise<AddressWithLocations[]> {
      const own = customerScope(principal);
      if (own && f.customerId && f.customerId !== own) return [];
      const rows = await repo.listAddresses(db, {
        ...f,
        customerId: own ?? f.customerId,
        operatorOnly: own ? false : (f.operatorOnly ?? false),
      });
      return withLocations(rows);
    },

    async get(principal: Principal, id: string): Promise<AddressWithLocations> {
      const a = await repo.findAddress(db, id);
      // Operator addresses (customer_id null) are not a customer's to see.
      if (!a || (customerScope(principal) !== null && !canSee(principal, a.customer_id ?? '')))
        throw notFound(`civic address ${id}`);
      return (await withLocations([a]))[0]!;
    },

    async create(actor: Actor, input: NewAddress): Promise<AddressWithLocations> {
      assertOperator(actor.principal, 'create civic addresses');
      return db.transaction().execute(async (trx) => {
        if (input.customerId) {
          const c = await trx
            .selectFrom('customers')
            .select('id')
            .where('id', '=', input.customerId)
            .executeTakeFirst();
          if (!c)
            throw new AppError('VALIDATION_FAILED', `customer ${input.customerId} not found`, {}, [
              { field: 'customerId', message: 'not found' },
            ]);
        }
        const row = await repo.insertAddress(trx, {
          ...(columnsOf(addressColumns, input) as {
            country: string;
          }),
          customer_id: input.customerId ?? null,
          source: 'operator',
        });
        const locations = await insertLocations(trx, row.id, input.locations ?? [], false);
        await writeAudit(trx, actor, [
          {
            action: 'civicAddress.create',
            objectType: 'civicAddress',
            objectId: row.id,
            customerId: row.customer_id,
            changes: {
              country: [null, row.country],
              city: [null, row.city],
              locations: [null, locations.length],
            },
          },
        ]);
        return { ...row, locations };
      });
    },

    async update(
      actor: Actor,
      id: string,
      input: AddressFields,
      ifMatch?: string,
    ): Promise<AddressWithLocations> {
      assertOperator(actor.principal, 'change civic addresses');
      const row = await db.transaction().execute(async (trx) => {
        const a = await lockEditable(trx, id, ifMatch);
        if (input.country !== undefined && input.country !== a.country) {
          const used = await repo.numbersUsing(trx, id);
          if (used > 0)
            throw new DomainError(
              'ADDRESS_IN_USE',
              `${used} number(s) use civic address ${id}; its country cannot change (R-3)`,
              'R-3',
              { numbers: used },
            );
        }
        const set = columnsOf(addressColumns, input);
        const changes: Record<string, [unknown, unknown]> = {};
        for (const [k, col] of Object.entries(addressColumns))
          if (set[col] !== undefined && set[col] !== a[col]) changes[k] = [a[col], set[col]];
        if (Object.keys(changes).length === 0) return a;
        const updated = (await repo.updateAddress(trx, id, a.version, set))!;
        await writeAudit(trx, actor, [
          {
            action: 'civicAddress.update',
            objectType: 'civicAddress',
            objectId: id,
            customerId: a.customer_id,
            changes,
          },
        ]);
        return updated;
      });
      return (await withLocations([row]))[0]!;
    },

    async remove(actor: Actor, id: string, ifMatch?: string): Promise<void> {
      assertOperator(actor.principal, 'delete civic addresses');
      await db.transaction().execute(async (trx) => {
        const a = await lockEditable(trx, id, ifMatch);
        const used = await repo.numbersUsing(trx, id);
        if (used > 0)
          throw new DomainError(
            'ADDRESS_IN_USE',
            `${used} number(s) use civic address ${id}; point them elsewhere first`,
            undefined,
            { numbers: used },
          );
        await trx.deleteFrom('civic_addresses').where('id', '=', id).execute();
        await writeAudit(trx, actor, [
          {
            action: 'civicAddress.delete',
            objectType: 'civicAddress',
            objectId: id,
            customerId: a.customer_id,
            changes: { country: [a.country, null], city: [a.city, null] },
          },
        ]);
      });
    },

    async addLocation(
      actor: Actor,
      id: string,
      input: LocationFields,
    ): Promise<AddressWithLocations> {
      assertOperator(actor.principal, 'change civic addresses');
      const row = await db.transaction().execute(async (trx) => {
        const a = await lockEditable(trx, id);
        const existing = await repo.locationsOf(trx, [id]);
        const [loc] = await insertLocations(
          trx,
          id,
          [input],
          existing.some((l) => l.is_default),
        );
        await writeAudit(trx, actor, [
          {
            action: 'civicAddress.location.create',
            objectType: 'civicAddress',
            objectId: id,
            customerId: a.customer_id,
            changes: { location: [null, loc!.id], isDefault: [null, loc!.is_default] },
          },
        ]);
        return touch(trx, a);
      });
      return (await withLocations([row]))[0]!;
    },

    async updateLocation(
      actor: Actor,
      id: string,
      locationId: string,
      input: LocationFields,
    ): Promise<AddressWithLocations> {
      assertOperator(actor.principal, 'change civic addresses');
      const row = await db.transaction().execute(async (trx) => {
        const a = await lockEditable(trx, id);
        const loc = await repo.findLocation(trx, locationId);
        if (!loc || loc.civic_address_id !== id) throw notFound(`location ${locationId}`);
        if (input.isDefault === true) await repo.clearDefault(trx, id, locationId);
        const set = columnsOf(locationColumns, input);
        const changes: Record<string, [unknown, unknown]> = {};
        for (const [k, col] of Object.entries(locationColumns))
          if (set[col] !== undefined && set[col] !== loc[col]) changes[k] = [loc[col], set[col]];
        if (Object.keys(changes).length === 0) return a;
        await repo.updateLocation(trx, locationId, set);
        await writeAudit(trx, actor, [
          {
            action: 'civicAddress.location.update',
            objectType: 'civicAddress',
            objectId: id,
            customerId: a.customer_id,
            changes: { location: [locationId, locationId], ...changes },
          },
        ]);
        return touch(trx, a);
      });
      return (await withLocations([row]))[0]!;
    },

    async removeLocation(
      actor: Actor,
      id: string,
      locationId: string,
    ): Promise<AddressWithLocations> {
      assertOperator(actor.principal, 'change civic addresses');
      const row = await db.transaction().execute(async (trx) => {
        const a = await lockEditable(trx, id);
        const loc = await repo.findLocation(trx, locationId);
        if (!loc || loc.civic_address_id !== id) throw notFound(`location ${locationId}`);
        const used = await repo.numbersUsing(trx, id, locationId);
        if (used > 0)
          throw new DomainError(
            'ADDRESS_IN_USE',
            `${used} number(s) use location ${locationId}; point them elsewhere first`,
            undefined,
            { numbers: used },
          );
        await trx.deleteFrom('locations').where('id', '=', locationId).execute();
        await writeAudit(trx, actor, [
          {
            action: 'civicAddress.location.delete',
            objectType: 'civicAddress',
            objectId: id,
            customerId: a.customer_id,
            changes: { location: [locationId, null] },
          },
        ]);
        return touch(trx, a);
      });
      return (await withLocations([row]))[0]!;
    },

    /**
     * For platform sync: insert or refresh a customer's platform addresses by
     * their external id (read-only here). Locations are matched by external id
     * too; addresses and locations the platform no longer lists are kept while
     * numbers use them, and reported, never silently dropped.
     */
    async syncUpsert(
      actor: Actor,
      customerId: string,
      list: readonly SyncedAddress[],
    ): Promise<{ created: number; updated: number }> {
      return db.transaction().execute(async (trx) => {
        let created = 0;
        let updated = 0;
        for (const s of list) {
          const existing = await trx
            .selectFrom('civic_addresses')
            .selectAll()
            .where('customer_id', '=', customerId)
            .where('external_id', '=', s.externalId)
            .forUpdate()
            .executeTakeFirst();
          const fields = columnsOf(addressColumns, s);
          let row: AddressRow;
          if (!existing) {
            row = await repo.insertAddress(trx, {
              ...(fields as { country: string }),
              customer_id: customerId,
              source: 'sync',
              external_id: s.externalId,
            });
            created++;
          } else {
            row = (await repo.updateAddress(trx, existing.id, existing.version, fields))!;
            updated++;
          }
          const locs = await repo.locationsOf(trx, [row.id]);
          const fresh = s.locations.filter(
            (l) => !locs.some((x) => x.external_id === l.externalId),
          );
          for (const l of s.locations) {
            const match = locs.find((x) => x.external_id === l.externalId);
            if (match) {
              if (l.isDefault) await repo.clearDefault(trx, row.id, match.id);
              await repo.updateLocation(trx, match.id, columnsOf(locationColumns, l));
            }
          }
          await insertLocations(
            trx,
            row.id,
            fresh,
            locs.some((x) => x.is_default) && !fresh.some((l) => l.isDefault),
          );
          await writeAudit(trx, actor, [
            {
              action: existing ? 'civicAddress.sync' : 'civicAddress.create',
              objectType: 'civicAddress',
              objectId: row.id,
              customerId,
              changes: { externalId: [existing?.external_id ?? null, s.externalId] },
            },
          ]);
        }
        return { created, updated };
      });
    },
  };
}

export type AddressesService = ReturnType<typeof createAddressesService>;
