/**
 * Starts a job worker on an open database: inside `numbat serve` (unless
 * NUMBAT_WORKER=off) and as `numbat worker` on its own. Any number of workers
 * may run against one database (SKIP LOCKED).
 */
import { createServices } from '../app.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { createJobHandlers } from './handlers.js';
import { createWorker, type Worker } from './worker.js';
import { ensureSnapshotScheduled } from '../utilisation/utilisation.job.js';

export function startJobWorker(
  database: Database,
  config: Pick<Config, 'coolingOffDays' | 'coolingOffDaysByCountry' | 'logLevel'>,
  log: (msg: string, err?: unknown) => void,
): Worker {
  const now = () => new Date();
  const services = createServices(database.db, config, now);
  const worker = createWorker({
    db: database.db,
    handlers: createJobHandlers({
      db: database.db,
      pool: database.pool,
      numbers: services.numbers,
      now,
    }),
    log,
  });
  // Issue 6: the daily utilisation snapshot recurs by queuing its next run.
  ensureSnapshotScheduled(database.db, now).catch((err: unknown) =>
    log('scheduling the utilisation snapshot failed', err),
  );
  worker.start();
  return worker;
}
