/**
 * /api/v1/imports (SPEC §4): the CSV as raw body (text/csv) or a multipart
 * upload. The file is stored with its job first (`job_files`), so a restart
 * cannot lose it; files of fewer than 10,000 rows are then run at once and
 * answered 200 with the report, larger ones answer 202 + Location of the job.
 */
import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type pg from 'pg';
import { customerScope } from '../auth/principal.js';
import type { Db } from '../db/pool.js';
import { csvLine } from '../domain/csv.js';
import { templateColumns } from '../domain/import-row.js';
import { actorOf } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { Country, errorResponses, Uuid } from '../http/schemas.js';
import { JobSchema, presentJob } from '../jobs/jobs.presenter.js';
import {
  deleteJobFile,
  finishJob,
  findJob,
  insertJob,
  storeJobFile,
} from '../jobs/jobs.repository.js';
import { IMPORT_JOB, importOutcome, type ImportJobParams } from './imports.job.js';
import { ImportFileError, runImport } from './imports.service.js';
import { readJobFile } from '../jobs/jobs.repository.js';

/** SPEC §4: imports of at least this many rows run as jobs. */
export const ASYNC_IMPORT_ROWS = 10_000;
/** Largest accepted upload. */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;
const CHUNK = 1024 * 1024;
/** How long a synchronous import holds its job before a worker may take it over. */
const SYNC_LEASE = '10 minutes';

const InvalidRow = Type.Object({
  line: Type.Integer(),
  number: Type.String({ description: 'the number cell as given' }),
  code: Type.String({
    description:
      'R-2 reason (EMPTY, LETTERS, SCIENTIFIC_NOTATION, NOT_DIGITS, TOO_SHORT, TOO_LONG, NO_COUNTRY, INVALID_COUNTRY_CODE, INVALID_FOR_COUNTRY) or COUNTRY_MISMATCH, DUPLICATE_IN_FILE, ALREADY_EXISTS, UNKNOWN_SITE, UNKNOWN_RANGE, UNKNOWN_CUSTOMER, NOT_IN_RANGE, HOLDER_NOT_ACTIVE, BAD_VALUE, COLUMN_COUNT',
  }),
  message: Type.String(),
});

const ImportReport = Type.Object({
  jobId: Uuid,
  phase: Type.Union([Type.Literal('validate'), Type.Literal('commit')]),
  dryRun: Type.Boolean(),
  rows: Type.Integer(),
  valid: Type.Integer(),
  invalid: Type.Integer(),
  imported: Type.Integer(),
  alreadyImported: Type.Boolean({
    description: 'R-50: this file was committed before; nothing changed',
  }),
  committed: Type.Boolean(),
  invalidRows: Type.Array(InvalidRow),
  invalidRowsTruncated: Type.Boolean({
    description: 'more invalid rows than listed: all are in GET /jobs/{jobId}/errors.csv',
  }),
});

const tags = ['imports'];

export const importsRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  pool: pg.Pool | undefined;
}> = async (app, { db, pool }) => {
  // Issue 7: the caps come from the configuration (NUMBAT_IMPORT_MAX_BYTES / _ROWS).
  const maxBytes = app.limits?.importMaxBytes ?? MAX_IMPORT_BYTES;
  const maxRows = app.limits?.importMaxRows ?? Number.MAX_SAFE_INTEGER;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1 } });
  // Raw CSV bodies go to the route as a stream (no buffering, no body limit here:
  // the route counts bytes itself).
  app.removeContentTypeParser(['text/plain']);
  app.addContentTypeParser(
    ['text/csv', 'application/csv', 'text/plain', 'application/octet-stream'],
    (_req, payload, done) => done(null, payload),
  );

  app.get(
    '/imports/template.csv',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'The import template: every column an import reads, and an example row',
        produces: ['text/csv'],
      },
    },
    async (_req, reply) => {
      const example: Record<string, string> = {
        number: '+442079460000',
        country: 'GB',
        usage: 'user',
        capabilities: 'inboundCalling|outboundCalling',
        cac: '2',
        serviceInfo: 'example row: delete it',
        locked: 'false',
      };
      void reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="numbat-import-template.csv"');
      return csvLine([...templateColumns]) + csvLine(templateColumns.map((c) => example[c] ?? ''));
    },
  );

  app.post(
    '/imports',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary:
          'Import numbers from CSV (raw text/csv body or multipart file): validate, or commit all valid rows in one transaction',
        description:
          'UTF-8 with or without BOM, `,` or `;`, CRLF or LF, quoted fields; header names case-insensitive and order-free (see GET /imports/template.csv). ' +
          `Files of ${ASYNC_IMPORT_ROWS} rows or more run as a job: 202 with Location /api/v1/jobs/{id}. ` +
          'R-50: all or nothing; importing the same file again changes nothing.',
        querystring: Type.Object(
          {
            phase: Type.Optional(
              Type.Union([Type.Literal('validate'), Type.Literal('commit')], {
                default: 'validate',
              }),
            ),
            dryRun: Type.Optional(
              Type.Boolean({ description: 'run the commit and roll it back', default: false }),
            ),
            defaultCountry: Type.Optional(Country),
          },
          { additionalProperties: false },
        ),
        response: {
          200: ImportReport,
          202: JobSchema,
          ...errorResponses(400, 403, 409, 413),
        },
      },
    },
    async (req, reply) => {
      if (!pool) throw new Error('imports need the pg pool (AppOptions.pool)');
      const actor = actorOf(req);
      if (customerScope(actor.principal) !== null)
        throw new AppError('FORBIDDEN', 'a customer-scoped principal cannot import numbers');
      let upload: AsyncIterable<Buffer>;
      let fileName: string | null = null;
      if (req.isMultipart()) {
        const file = await req.file();
        if (!file)
          throw new AppError('VALIDATION_FAILED', 'the multipart body has no file', {}, [
            { field: 'file', message: 'required' },
          ]);
        upload = file.file;
        fileName = file.filename;
      } else {
        if (!req.body || typeof (req.body as Readable).pipe !== 'function')
          throw new AppError(
            'VALIDATION_FAILED',
            'send the CSV as the body (Content-Type: text/csv) or as a multipart file',
          );
        upload = req.body as Readable;
      }
      const q = req.query;
      const params: ImportJobParams = {
        phase: q.phase ?? 'validate',
        dryRun: q.dryRun ?? false,
        defaultCountry: q.defaultCountry ?? null,
        fileName,
      };
      // The job exists before its file: parked (run_after infinity) until stored.
      const job = await db.transaction().execute(async (trx) => {
        const j = await insertJob(trx, actor, {
          kind: IMPORT_JOB,
          params: params as unknown as Record<string, unknown>,
          maxAttempts: 3,
        });
        await sql`UPDATE jobs SET run_after = 'infinity' WHERE id = ${j.id}`.execute(trx);
        return j;
      });
      let lines = 0;
      let bytes = 0;
      let lastByte = 0x0a;
      try {
        let pending: Buffer[] = [];
        let pendingLen = 0;
        let seq = 0;
        const flush = async () => {
          if (!pendingLen) return;
          const data = Buffer.concat(pending);
          await db.insertInto('job_files').values({ job_id: job.id, seq: seq++, data }).execute();
          pending = [];
          pendingLen = 0;
        };
        for await (const chunk of upload) {
          const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          bytes += b.length;
          if (bytes > maxBytes)
            throw new AppError(
              'PAYLOAD_TOO_LARGE',
              `the file is larger than ${maxBytes} bytes; split it (NUMBAT_IMPORT_MAX_BYTES)`,
              { maxBytes },
            );
          for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) lines++;
          // The header line is not a row.
          if (lines - 1 > maxRows)
            throw new AppError(
              'PAYLOAD_TOO_LARGE',
              `the file has more than ${maxRows} rows; split it (NUMBAT_IMPORT_MAX_ROWS)`,
              { maxRows },
            );
          if (b.length) lastByte = b[b.length - 1]!;
          pending.push(b);
          pendingLen += b.length;
          if (pendingLen >= CHUNK) await flush();
        }
        await flush();
        if (bytes === 0) await storeJobFile(db, job.id, [Buffer.alloc(0)]);
      } catch (err) {
        await db.deleteFrom('jobs').where('id', '=', job.id).execute();
        throw err;
      }
      // Data rows ≈ lines minus the header (quoted line breaks make it an estimate).
      const rows = Math.max(0, lines + (lastByte === 0x0a ? 0 : 1) - 1);
      if (rows >= ASYNC_IMPORT_ROWS) {
        const queued = await db
          .updateTable('jobs')
          .set({ run_after: new Date(), total: rows })
          .where('id', '=', job.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        reply.code(202).header('location', `/api/v1/jobs/${job.id}`);
        return presentJob(queued);
      }

      // Small file: run it now under this request's lease.
      const owner = `api:${req.id}`;
      await sql`UPDATE jobs SET status = 'running', attempts = 1, locked_by = ${owner},
        locked_until = now() + ${SYNC_LEASE}::interval, started_at = now(), run_after = now(),
        total = ${rows}, updated_at = now()
        WHERE id = ${job.id}`.execute(db);
      const client = await pool.connect();
      try {
        const report = await runImport(client, actor, job.id, readJobFile(db, job.id), {
          phase: params.phase,
          dryRun: params.dryRun,
          defaultCountry: params.defaultCountry ?? undefined,
          fileName: fileName ?? undefined,
        });
        const outcome = importOutcome(report);
        await db
          .updateTable('jobs')
          .set({ total: report.rows, done: report.rows, failed: report.invalid })
          .where('id', '=', job.id)
          .execute();
        await finishJob(db, job.id, owner, outcome);
        if (report.committed || report.alreadyImported) await deleteJobFile(db, job.id);
        return {
          jobId: job.id,
          phase: report.phase,
          dryRun: report.dryRun,
          rows: report.rows,
          valid: report.valid,
          invalid: report.invalid,
          imported: report.imported,
          alreadyImported: report.alreadyImported,
          committed: report.committed,
          invalidRows: report.invalidRows,
          invalidRowsTruncated: report.invalidRowsTruncated,
        };
      } catch (err) {
        if (err instanceof ImportFileError) {
          await finishJob(db, job.id, owner, {
            status: 'failed',
            error: `${err.code}: ${err.message}`,
          });
          throw new AppError('VALIDATION_FAILED', err.message, {
            reason: err.code,
            line: err.line,
            jobId: job.id,
          });
        }
        // Anything else (e.g. a concurrent import raced it): the job fails visibly and can be retried.
        const current = await findJob(db, job.id);
        if (current?.status === 'running')
          await finishJob(db, job.id, owner, {
            status: 'failed',
            error: err instanceof Error ? err.message : String(err),
          });
        throw err;
      } finally {
        client.release();
      }
    },
  );
};
