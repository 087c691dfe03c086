/**
 * Resolves the emergency address a number should point at (SPEC §6): the
 * address and location must exist and belong to the number's holder (a
 * customer's number takes that customer's addresses, an operator number the
 * operator's). Anything else reads as "not found", so a customer-scoped caller
 * learns nothing about other customers' addresses.
 */
import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { AppError } from '../http/errors.js';
import { defaultLocation, findAddress, findLocation } from './addresses.repository.js';

export interface EmergencyInput {
  civicAddressId?: string | null | undefined;
  locationId?: string | null | undefined;
}

export interface ResolvedEmergency {
  /** Only the keys to write. */
  set: { civicAddressId?: string | null; locationId?: string | null };
  /** The address's country when one is chosen (R-3 for uploads). */
  country: string | null;
}

const notFound = (field: string, what: string) =>
  new AppError('VALIDATION_FAILED', `${what} not found`, {}, [{ field, message: 'not found' }]);

export async function resolveEmergency(
  trx: Transaction<DB>,
  holderCustomerId: string | null,
  current: { civicAddressId: string | null },
  input: EmergencyInput,
  fieldPrefix = 'emergency',
): Promise<ResolvedEmergency> {
  const { civicAddressId, locationId } = input;
  if (civicAddressId === undefined && locationId === undefined) return { set: {}, country: null };
  if (civicAddressId === null) {
    if (locationId)
      throw new AppError('VALIDATION_FAILED', 'a location needs its civic address', {}, [
        { field: `${fieldPrefix}.locationId`, message: 'a location needs its civic address' },
      ]);
    return { set: { civicAddressId: null, locationId: null }, country: null };
  }
  const addressId = civicAddressId ?? null;
  let location = null;
  if (locationId) {
    location = await findLocation(trx, locationId);
    if (!location) throw notFound(`${fieldPrefix}.locationId`, `location ${locationId}`);
  }
  const targetAddressId = addressId ?? location?.civic_address_id ?? current.civicAddressId;
  if (!targetAddressId) {
    // locationId === null with no address: nothing to point at
    return { set: { locationId: null }, country: null };
  }
  const address = await findAddress(trx, targetAddressId);
  if (!address || address.customer_id !== holderCustomerId) {
    if (addressId) throw notFound(`${fieldPrefix}.civicAddressId`, `civic address ${addressId}`);
    if (location) throw notFound(`${fieldPrefix}.locationId`, `location ${locationId}`);
    throw notFound(`${fieldPrefix}.civicAddressId`, `civic address ${targetAddressId}`);
  }
  if (location && location.civic_address_id !== address.id) {
    throw new AppError(
      'VALIDATION_FAILED',
      `location ${location.id} is not a location of civic address ${address.id}`,
      {},
      [{ field: `${fieldPrefix}.locationId`, message: 'not a location of that civic address' }],
    );
  }
  let resolvedLocation: string | null | undefined;
  if (locationId !== undefined) resolvedLocation = location?.id ?? null;
  else if (addressId) resolvedLocation = (await defaultLocation(trx, address.id))?.id ?? null;
  return {
    set: {
      ...(addressId || location ? { civicAddressId: address.id } : {}),
      ...(resolvedLocation !== undefined ? { locationId: resolvedLocation } : {}),
    },
    country: address.country,
  };
}
