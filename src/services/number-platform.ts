/**
 * What a PATCH of one number's platform fields must satisfy, given the
 * service it is on (SPEC §5, §6): the emergency address and location exist and
 * belong to the number's holder (R-38 callers included), the service belongs
 * to the holder and takes numbers, and the merged fields pass R-31,
 * Returns the values to write on top of the patch
 * (resolved address/location, Webex's fixed CAC).
 */
import type { Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import { resolveEmergency } from '../addresses/emergency.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { DB } from '../db/schema.js';
import type { Usage } from '../domain/lifecycle.js';
import {
  assertPlatformFields,
  effectiveCac,
  nextServiceStatus,
  type Platform,
} from '../domain/platform.js';
import { AppError } from '../http/errors.js';
import type { NumberRow } from '../numbers/numbers.repository.js';

export interface PlatformPatch {
  usage?: Usage | null | undefined;
  capabilities?: string[] | undefined;
  customSipHeader?: string | null | undefined;
  cacLimit?: number | null | undefined;
  serviceId?: string | null | undefined;
  emergency?:
    | {
        civicAddressId?: string | null | undefined;
        locationId?: string | null | undefined;
        customerMayUpdate?: boolean | undefined;
      }
    | undefined;
}

const pick = <T>(patched: T | undefined, current: T): T =>
  patched !== undefined ? patched : current;

export async function checkNumberPatch(
  trx: Transaction<DB>,
  actor: Actor,
  row: NumberRow,
  patch: PlatformPatch,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const em = patch.emergency ?? {};
  const resolved = await resolveEmergency(
    trx,
    row.customer_id,
    { civicAddressId: row.civic_address_id },
    em,
  );
  Object.assign(out, resolved.set);

  const serviceId = pick(patch.serviceId, row.service_id);
  let platform: Platform | null = null;
  if (serviceId) {
    const service = await trx
      .selectFrom('services')
      .selectAll()
      .where('id', '=', serviceId)
      .executeTakeFirst();
    if (!service || service.customer_id !== row.customer_id) {
      throw new AppError(
        'VALIDATION_FAILED',
        `service ${serviceId} not found for the holder of ${row.e164}`,
        {},
        [{ field: 'serviceId', message: "not found among the holder's services" }],
      );
    }
    platform = service.platform;
    if (patch.serviceId && patch.serviceId !== row.service_id) {
      // a number joining a service provisions it.
      const next = nextServiceStatus(service.status, 'numbersProvisioned');
      if (next !== service.status) {
        await trx
          .updateTable('services')
          .set({
            status: 'ready',
            last_modified_at: new Date(),
            updated_at: new Date(),
            version: service.version + 1,
          })
          .where('id', '=', service.id)
          .execute();
        await writeAudit(trx, actor, [
          {
            action: 'service.numbersProvisioned',
            objectType: 'service',
            objectId: service.id,
            customerId: service.customer_id,
            changes: { status: [service.status, next] },
          },
        ]);
      }
    }
  }

  const usage = pick(patch.usage, row.usage);
  const civicAddressId = pick(
    out.civicAddressId as string | null | undefined,
    row.civic_address_id,
  );
  const locationId = pick(out.locationId as string | null | undefined, row.location_id);
  const cacLimit = pick(patch.cacLimit, row.cac_limit);
  assertPlatformFields(
    platform,
    {
      usage,
      capabilities: pick(patch.capabilities, row.capabilities),
      customSipHeader: pick(patch.customSipHeader, row.custom_sip_header),
      cacLimit,
      civicAddressId,
      locationId,
      customerMayUpdate: pick(em.customerMayUpdate, row.customer_may_update),
    },
    row.e164,
  );
  // Webex user numbers carry CAC 2 whatever was stored before.
  const fixed = effectiveCac(platform, { usage, cacLimit });
  if (fixed !== cacLimit) out.cacLimit = fixed;
  return out;
}
