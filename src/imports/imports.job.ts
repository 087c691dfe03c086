/**
 * The `import` job: runs an uploaded CSV (stored in `job_files`) through
 * runImport with progress. A job whose file was not stored (a CLI import whose
 * process died) cannot be re-run: it ends `failed` with the reason, visibly.
 */
import type pg from 'pg';
import type { Db } from '../db/pool.js';
import { deleteJobFile, hasJobFile, readJobFile } from '../jobs/jobs.repository.js';
import { PermanentJobError, type JobHandler, type JobOutcome } from '../jobs/worker.js';
import {
  ImportFileError,
  runImport,
  type ImportOptions,
  type ImportReport,
} from './imports.service.js';

export const IMPORT_JOB = 'import';

export interface ImportJobParams {
  phase: ImportOptions['phase'];
  dryRun: boolean;
  defaultCountry?: string | null;
  fileName?: string | null;
}

export function importOutcome(report: ImportReport): JobOutcome {
  const result: Record<string, unknown> = {
    phase: report.phase,
    dryRun: report.dryRun,
    rows: report.rows,
    valid: report.valid,
    invalid: report.invalid,
    imported: report.imported,
    alreadyImported: report.alreadyImported,
    committed: report.committed,
    contentKey: report.contentKey,
  };
  if (report.phase === 'commit' && !report.dryRun && !report.alreadyImported) {
    if (report.imported === 0 && report.invalid > 0)
      return { status: 'failed', result, error: `none of the ${report.rows} rows is valid` };
    if (report.invalid > 0) return { status: 'partiallySucceeded', result };
  }
  return { status: 'succeeded', result };
}

export function importJobHandler(deps: { db: Db; pool: pg.Pool }): JobHandler {
  return async (ctx) => {
    const p = ctx.job.params as unknown as ImportJobParams;
    if (!(await hasJobFile(deps.db, ctx.job.id))) {
      throw new PermanentJobError(
        'the process running this import stopped and its file was not stored (CLI import); nothing was imported (R-50); run the import again',
      );
    }
    const client = await deps.pool.connect();
    try {
      const report = await runImport(
        client,
        ctx.actor,
        ctx.job.id,
        readJobFile(deps.db, ctx.job.id),
        {
          phase: p.phase,
          dryRun: p.dryRun,
          defaultCountry: p.defaultCountry ?? undefined,
          fileName: p.fileName ?? undefined,
        },
        {
          onProgress: (rows) => ctx.progress({ done: rows }),
          onNote: (note) => ctx.progress({ note }),
          checkCancelled: ctx.checkCancelled,
        },
      );
      await ctx.progress({ total: report.rows, done: report.rows, failed: report.invalid });
      // A committed import is final (a rerun is a no-op, R-50): its file is no longer needed.
      if (report.committed || report.alreadyImported) await deleteJobFile(deps.db, ctx.job.id);
      return importOutcome(report);
    } catch (err) {
      if (err instanceof ImportFileError)
        throw new PermanentJobError(`${err.code}: ${err.message}`);
      throw err;
    } finally {
      client.release();
    }
  };
}
