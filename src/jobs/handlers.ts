/** Every job kind and its handler: what a worker (serve or `numbat worker`) can run. */
import type pg from 'pg';
import type { Db } from '../db/pool.js';
import { IMPORT_JOB, importJobHandler } from '../imports/imports.job.js';
import type { NumbersService } from '../numbers/numbers.service.js';
import { BULK_JOB, bulkJobHandler } from './bulk.job.js';
import type { JobHandler } from './worker.js';

export function createJobHandlers(deps: {
  db: Db;
  pool: pg.Pool;
  numbers: NumbersService;
  now: () => Date;
}): Record<string, JobHandler> {
  return {
    [IMPORT_JOB]: importJobHandler(deps),
    [BULK_JOB]: bulkJobHandler(deps),
  };
}
