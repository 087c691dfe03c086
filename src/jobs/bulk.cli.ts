/**
 * CLI commands for bulk work (SPEC §9 "CLI"): `numbat import FILE`,
 * `numbat export [filters] > file.csv`, `numbat worker`. Progress bars go to
 * stderr when it is a terminal; data and the JSON summary go to stdout.
 */
import fs from 'node:fs';
import os from 'node:os';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Actor } from '../actor.js';
import { loadConfig } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import type { ExportCliOptions } from '../exports/exports.cli.js';
import { finishJob, heartbeat, insertJob, setProgress } from './jobs.repository.js';

const LEASE_MS = 30_000;

async function open(): Promise<Database> {
  const config = loadConfig();
  return openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    dataDirExplicit: config.dataDirExplicit,
  });
}

function bar(total: number, unit: string): cliProgress.SingleBar | null {
  if (!process.stderr.isTTY) return null;
  const b = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `{bar} {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  b.start(total, 0);
  return b;
}

interface ImportCliOptions {
  dryRun?: boolean;
  validate?: boolean;
  country?: string;
  ticket?: string;
}

async function importFile(actorBase: Actor, file: string, o: ImportCliOptions): Promise<number> {
  // Loaded by the command that needs them: each command starts with only its own modules.
  const { IMPORT_JOB, importOutcome } = await import('../imports/imports.job.js');
  const { runImport } = await import('../imports/imports.service.js');
  const size = fs.statSync(file).size;
  const database = await open();
  const actor: Actor = { ...actorBase, ticketId: o.ticket ?? null };
  const owner = `cli:${os.hostname()}:${process.pid}`;
  const phase = o.validate ? 'validate' : 'commit';
  try {
    // The import is a job like any other (visible in GET /jobs), run here
    // under this process's lease. Its file is not stored: if this process
    // dies, a worker ends the job `failed` with the reason (R-50: nothing
    // was imported), and running the command again imports the file.
    const job = await insertJob(database.db, actor, {
      kind: IMPORT_JOB,
      params: {
        phase,
        dryRun: Boolean(o.dryRun),
        defaultCountry: o.country ?? null,
        fileName: file,
      },
      maxAttempts: 1,
    });
    await database.db
      .updateTable('jobs')
      .set({
        status: 'running',
        attempts: 1,
        locked_by: owner,
        locked_until: new Date(Date.now() + LEASE_MS),
        started_at: new Date(),
      })
      .where('id', '=', job.id)
      .execute();
    const beat = setInterval(() => {
      void heartbeat(database.db, job.id, owner, LEASE_MS).catch(() => undefined);
    }, LEASE_MS / 3);
    const progress = bar(size, 'bytes');
    let read = 0;
    async function* source(): AsyncGenerator<Buffer> {
      for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) {
        read += (chunk as Buffer).length;
        progress?.update(read);
        yield chunk as Buffer;
      }
    }
    const client = await database.pool.connect();
    try {
      const report = await runImport(
        client,
        actor,
        job.id,
        source(),
        { phase, dryRun: Boolean(o.dryRun), defaultCountry: o.country, fileName: file },
        {
          onProgress: (rows) => setProgress(database.db, job.id, { done: rows }),
          onNote: (note) => setProgress(database.db, job.id, { note }),
        },
      );
      progress?.stop();
      await setProgress(database.db, job.id, {
        total: report.rows,
        done: report.rows,
        failed: report.invalid,
      });
      await finishJob(database.db, job.id, owner, importOutcome(report));
      for (const r of report.invalidRows.slice(0, 20))
        process.stderr.write(`line ${r.line}: ${r.code}: ${r.message}\n`);
      if (report.invalid > 20)
        process.stderr.write(
          `… ${report.invalid} invalid rows in all: GET /api/v1/jobs/${job.id}/errors.csv\n`,
        );
      const { invalidRows: _rows, ...summary } = report;
      process.stdout.write(`${JSON.stringify({ jobId: job.id, ...summary })}\n`);
      return report.invalid > 0 && !report.alreadyImported ? 2 : 0;
    } catch (err) {
      progress?.stop();
      await finishJob(database.db, job.id, owner, {
        status: 'failed',
        error: err instanceof Error ? err.message : String(err),
      });
      throw err;
    } finally {
      clearInterval(beat);
      client.release();
    }
  } finally {
    await database.close();
  }
}

const bool = (v: string) => {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`expected true or false, got "${v}"`);
};

export function registerBulkCommands(program: Command, cliActor: Actor): void {
  program
    .command('import')
    .description(
      'import numbers from a CSV file: all valid rows in one transaction (R-50); exit 2 when some rows were invalid',
    )
    .argument('<file>', 'CSV file (see GET /api/v1/imports/template.csv)')
    .option('--dry-run', 'run the whole import and roll it back')
    .option('--validate', 'only validate: report valid and invalid rows, change nothing')
    .option('--country <CC>', 'default ISO country for national numbers')
    .option('--ticket <id>', 'ticket id recorded on the job and audit events (R-36)')
    .action(async (file: string, o: ImportCliOptions) => {
      process.exitCode = await importFile(cliActor, file, o);
    });

  program
    .command('export')
    .description('export numbers as CSV to stdout (the filters of GET /api/v1/numbers)')
    .option('--status <list>', 'comma-separated: available, coolingOff, reserved, active, assigned')
    .option('--holder <holder>', 'operator, customer or none')
    .option('--customer <id>', 'customer id')
    .option('--site <id>', 'site id')
    .option('--range <id>', 'range id')
    .option('--country <CC>', 'ISO country')
    .option('--kind <kind>', 'fixedLine, mobile, tollFree, …')
    .option('--usage <usage>', 'user, application, conference, contactCenter')
    .option('--main <bool>', 'main numbers only (true) or none (false)', bool)
    .option('--locked <bool>', 'locked (true) or unlocked (false)', bool)
    .option('--q <digits>', 'digits anywhere in the number')
    .action(async (o: ExportCliOptions) => {
      const { exportNumbers } = await import('../exports/exports.cli.js');
      await exportNumbers(o);
    });

  program
    .command('worker')
    .description('run the job worker (imports, bulk actions) without the API server')
    .action(async () => {
      const config = loadConfig();
      const database = await open();
      const { startJobWorker } = await import('./run-worker.js');
      const worker = startJobWorker(database, config, (m, err) =>
        console.error(m, err instanceof Error ? err.message : (err ?? '')),
      );
      console.error(`job worker ${worker.id} running; Ctrl-C to stop`);
      const stop = async (signal: string) => {
        console.error(`${signal}: stopping the worker after its current job …`);
        await worker.stop();
        await database.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
