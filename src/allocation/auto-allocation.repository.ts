/** SQL of automatic allocation (SPEC §7). */
import { sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Candidate } from '../domain/allocation.js';

/**
 * Upper bound on the numbers of one site considered (and locked) for one
 * automatic allocation. A site's telephony list is a few thousand numbers;
 * beyond this the lowest ones are considered.
 */
export const MAX_CANDIDATES = 50_000;

/**
 * R-41 candidates of a site, locked. The SQL filter mirrors `isEligible`
 * (which the plan applies again) so only numbers that can be chosen are
 * locked; SKIP LOCKED leaves numbers another transaction is taking to it.
 */
export async function lockCandidates(
  trx: Transaction<DB>,
  siteId: string,
  now: Date,
): Promise<Candidate[]> {
  const rows = await trx
    .selectFrom('numbers')
    .select([
      'e164',
      'kind',
      'status',
      'locked',
      'cooling_off_until',
      'usage',
      'main_number',
      'pending_job_id',
    ])
    .where('site_id', '=', siteId)
    .where('status', '=', 'available')
    .where('locked', '=', false)
    .where('pending_job_id', 'is', null)
    .where('main_number', '=', false)
    .where('kind', 'not in', ['tollFree', 'premiumRate'])
    .where((eb) => eb.or([eb('usage', 'is', null), eb('usage', '<>', 'application')]))
    .where((eb) => eb.or([eb('cooling_off_until', 'is', null), eb('cooling_off_until', '<=', now)]))
    .orderBy('e164')
    .limit(MAX_CANDIDATES)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((r) => ({
    e164: r.e164,
    kind: r.kind,
    status: r.status,
    locked: r.locked,
    coolingOffUntil: r.cooling_off_until,
    usage: r.usage,
    mainNumber: r.main_number,
    pending: r.pending_job_id !== null,
  }));
}

/** Attach numbers (already held by the service's customer) to the service. */
export async function setServiceOfNumbers(
  trx: Transaction<DB>,
  e164s: readonly string[],
  serviceId: string,
): Promise<void> {
  if (e164s.length === 0) return;
  await sql`
    UPDATE numbers SET service_id = ${serviceId}::uuid, updated_at = now(), version = version + 1
    WHERE e164 = ANY(${[...e164s]}::text[])`.execute(trx);
}
