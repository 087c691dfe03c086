/** Every job kind and its handler: what a worker (serve or `numbat worker`) can run. */
import type pg from 'pg';
import type { Db } from '../db/pool.js';
import { IMPORT_JOB, importJobHandler } from '../imports/imports.job.js';
import type { NumbersService } from '../numbers/numbers.service.js';
import {
  UTILISATION_SNAPSHOT_JOB,
  utilisationSnapshotHandler,
} from '../utilisation/utilisation.job.js';
import { BULK_JOB, bulkJobHandler } from './bulk.job.js';
import { createConsentsService } from '../consents/consents.service.js';
import { createServicesService } from '../services/services.service.js';
import { createConnectors, loadSyncConfig, type Connectors } from '../sync/sync.config.js';
import { SYNC_PUSH_JOB, syncPushJobHandler } from '../sync/push.job.js';
import { SYNC_REFRESH_JOB, syncRefreshJobHandler } from '../sync/refresh.job.js';
import type { JobHandler } from './worker.js';

export function createJobHandlers(deps: {
  db: Db;
  pool: pg.Pool;
  numbers: NumbersService;
  now: () => Date;
  /** Platform connectors; default from the environment (src/sync/sync.config.ts). */
  connectors?: Connectors;
}): Record<string, JobHandler> {
  const connectors = deps.connectors ?? createConnectors(loadSyncConfig());
  // Refresh records the consents the platform reports (SPEC §5).
  const consents = createConsentsService({
    db: deps.db,
    services: createServicesService({ db: deps.db, numbers: deps.numbers, now: deps.now }),
  });
  return {
    [IMPORT_JOB]: importJobHandler(deps),
    [BULK_JOB]: bulkJobHandler(deps),
    [SYNC_PUSH_JOB]: syncPushJobHandler({ ...deps, connectors }),
    [SYNC_REFRESH_JOB]: syncRefreshJobHandler({
      ...deps,
      connectors,
      consents: (actor, consent) => consents.upsertFromPlatform(actor, consent),
    }),
    [UTILISATION_SNAPSHOT_JOB]: utilisationSnapshotHandler(deps),
  };
}
