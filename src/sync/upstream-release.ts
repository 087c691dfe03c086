/**
 * SPEC §3.2 release row / §3.3: releasing a number that is on a synced
 * service first asks the platform to remove it (`active → releaseRequested`);
 * the push job releases it in Numbat (cooling off) once the platform
 * confirmed. Called by the numbers service inside its transaction, after the
 * lifecycle rules accepted the release (R-17 etc.), instead of writing it.
 */
import type { Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { DB, NumbersTable } from '../db/schema.js';
import type { Selectable } from 'kysely';
import { enqueuePush } from './sync.repository.js';

type Row = Selectable<NumbersTable>;

/** Whether releasing this number must go through the platform first. */
export function needsUpstreamRelease(row: Row): boolean {
  return (
    row.service_id !== null &&
    (row.sync_state === 'active' ||
      row.sync_state === 'pendingFirstSync' ||
      row.sync_state === 'failed')
  );
}

export async function requestUpstreamRelease(
  trx: Transaction<DB>,
  actor: Actor,
  rows: readonly Row[],
): Promise<Row[]> {
  if (!rows.length) return [];
  const byService = new Map<string, string[]>();
  for (const r of rows)
    byService.set(r.service_id!, [...(byService.get(r.service_id!) ?? []), r.e164]);
  for (const [serviceId, e164s] of byService) await enqueuePush(trx, serviceId, e164s, 'release');
  const updated = await trx
    .updateTable('numbers')
    .set((eb) => ({
      sync_state: 'releaseRequested',
      sync_errors: null,
      updated_at: new Date(),
      version: eb('version', '+', 1),
    }))
    .where(
      'e164',
      'in',
      rows.map((r) => r.e164),
    )
    .returningAll()
    .execute();
  await writeAudit(
    trx,
    actor,
    rows.map((r) => ({
      action: 'number.releaseRequested',
      objectType: 'number',
      objectId: r.e164,
      customerId: r.customer_id,
      changes: { syncState: [r.sync_state, 'releaseRequested'] },
    })),
  );
  return updated;
}
