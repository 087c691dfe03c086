/**
 * The recurring `utilisation.snapshot` job: takes today's snapshot, then
 * queues the next one for the next UTC midnight. Idempotent (a rerun on the
 * same day replaces that day's rows), so a reclaimed job is harmless.
 */
import type { Db } from '../db/pool.js';
import type { JobHandler } from '../jobs/worker.js';
import {
  createUtilisationService,
  dayOf,
  scheduleSnapshotJob,
  UTILISATION_SNAPSHOT_JOB,
} from './utilisation.service.js';

export { UTILISATION_SNAPSHOT_JOB };

export function utilisationSnapshotHandler(deps: { db: Db; now: () => Date }): JobHandler {
  const utilisation = createUtilisationService(deps);
  return async (ctx) => {
    const taken = await utilisation.snapshot(ctx.actor);
    await ctx.progress({ done: taken.rows, total: taken.rows });
    await scheduleSnapshotJob(deps.db, { today: taken.day, next: true });
    return { status: 'succeeded', result: taken };
  };
}

/** At worker start: queue the recurring job unless one is queued (today's now when missing). */
export function ensureSnapshotScheduled(db: Db, now: () => Date) {
  return scheduleSnapshotJob(db, { today: dayOf(now()), next: false });
}
