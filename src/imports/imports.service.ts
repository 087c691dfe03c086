/**
 * CSV import (SPEC §4, R-50): read → check each row (pure, fast path for
 * E.164; duplicates inside the file and the file's references found in the
 * same pass) → COPY into a staging table → set-based checks against the
 * database (only invalid rows are written) → one `import.commit` audit event
 * and one merge linking each number to it, all in one transaction on one
 * connection. Knows nothing of HTTP.
 *
 * Phases: `validate` answers valid / invalid counts and every invalid row and
 * changes nothing; `commit` applies all valid rows at once. `dryRun` runs the
 * commit (merge included) and rolls it back.
 *
 * R-50 idempotency: the import's identity is sha256(file bytes + options).
 * The commit writes that key to `import_commits` in the merge's transaction;
 * running the same import again finds it and changes nothing.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Actor } from '../actor.js';
import {
  checkRow,
  copyText,
  parseHeader,
  type HeaderIndex,
  type RowResult,
} from '../domain/import-row.js';
import { FirstLines } from './first-lines.js';
import { readCsv, CsvFormatError } from './imports.reader.js';
import * as repo from './imports.repository.js';

export type ImportPhase = 'validate' | 'commit';

export interface ImportOptions {
  phase: ImportPhase;
  dryRun: boolean;
  /** ISO alpha-2 for national numbers in rows without a country cell. */
  defaultCountry?: string | undefined;
  fileName?: string | undefined;
  /** How many invalid rows the report lists (all of them go to the job's errors). */
  reportLimit?: number;
}

export interface ImportReport {
  phase: ImportPhase;
  dryRun: boolean;
  rows: number;
  valid: number;
  invalid: number;
  /** Numbers added (0 for validate / dry run). */
  imported: number;
  /** The same import was committed before (R-50 rerun): nothing changed. */
  alreadyImported: boolean;
  committed: boolean;
  contentKey: string;
  invalidRows: repo.InvalidRow[];
  invalidRowsTruncated: boolean;
}

/** The file as a whole cannot be imported (header, encoding, CSV syntax). */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
  constructor(
    readonly code: string,
    message: string,
    readonly line: number | null = null,
  ) {
    super(message);
  }
}

/** Numbers were added by someone else while the import ran: retry (the job does). */
export class ImportRaceError extends Error {
  override readonly name = 'ImportRaceError';
}

export interface ImportHooks {
  /** Rows read and checked so far. */
  onProgress?: (rows: number) => void | Promise<void>;
  onNote?: (note: string) => void | Promise<void>;
  /** Throws to abort (cancellation); the transaction rolls back. */
  checkCancelled?: () => void;
}

const STAGE_BATCH = 500;

function stageLine(line: number, input: string, r: RowResult): string {
  if (!r.ok) {
    return `${line}\t${copyText(input)}\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${copyText(r.error.code)}\t${copyText(r.error.message)}\n`;
  }
  const x = r.row;
  const caps = x.capabilities.length ? `{${x.capabilities.join(',')}}` : '{}';
  // One template per row (no per-row array): a million rows allocate less.
  return `${line}\t${copyText(input)}\t${x.e164}\t${x.country}\t${x.kind}\t${copyText(x.site)}\t${copyText(x.range)}\t${copyText(x.customer)}\t${copyText(x.extension)}\t${x.usage ?? '\\N'}\t${caps}\t${copyText(x.civicAddressId)}\t${copyText(x.locationId)}\t${copyText(x.sipConnection)}\t${copyText(x.callingProfileId)}\t${copyText(x.customSipHeader)}\t${x.cac === null ? '\\N' : x.cac}\t${copyText(x.serviceInfo)}\t${x.locked ? 't' : 'f'}\t${copyText(x.lockReason)}\t\\N\t\\N\n`;
}

export function importKey(digest: string, opts: ImportOptions): string {
  return createHash('sha256')
    .update(digest)
    .update(JSON.stringify({ defaultCountry: opts.defaultCountry?.toUpperCase() ?? null }))
    .digest('hex');
}

/**
 * Run one import on `client` (a dedicated connection: COPY and the temporary
 * tables need one session). `jobId` names the job the audit events point to.
 */
export async function runImport(
  client: pg.PoolClient,
  actor: Actor,
  jobId: string,
  source: AsyncIterable<Buffer | string>,
  opts: ImportOptions,
  hooks: ImportHooks = {},
): Promise<ImportReport> {
  const defaultCountry = opts.defaultCountry?.toUpperCase();
  const reader = readCsv(source);
  let header: { index: HeaderIndex; width: number } | null = null;
  let rows = 0;
  let lastProgress = 0;
  // Found while the file streams in, so the database never scans the file for
  // them: duplicates inside the file, and the references the checks resolve.
  const firstLines = new FirstLines();
  const wanted = {
    sites: new Set<string>(),
    ranges: new Set<string>(),
    customers: new Set<string>(),
  };
  let civic = false;

  /** Remember a valid row's number and references; a number seen before makes the row a duplicate. */
  function seen(line: number, r: RowResult): RowResult {
    if (!r.ok) return r;
    const x = r.row;
    const first = firstLines.firstLine(x.e164, line);
    if (first !== null) {
      return {
        ok: false,
        error: { code: 'DUPLICATE_IN_FILE', message: `${x.e164} also appears on line ${first}` },
      };
    }
    if (x.site !== null) wanted.sites.add(x.site);
    if (x.range !== null) wanted.ranges.add(x.range);
    if (x.customer !== null) wanted.customers.add(x.customer);
    if (x.civicAddressId !== null) civic = true;
    return r;
  }

  async function* staged(): AsyncGenerator<string> {
    try {
      for await (const batch of reader.batches) {
        let out = '';
        let n = 0;
        for (const rec of batch) {
          if (!header) {
            const h = parseHeader(rec.cells);
            if (!h.ok) throw new ImportFileError(h.code, h.message, rec.line);
            header = h;
            continue;
          }
          // A row of empty cells (e.g. ";;;" under a header) is not a row.
          if (rec.cells.every((c) => c.trim() === '')) continue;
          rows++;
          const input = rec.cells[header.index.number!] ?? '';
          out += stageLine(
            rec.line,
            input,
            seen(rec.line, checkRow(rec.cells, header, defaultCountry)),
          );
          if (++n === STAGE_BATCH) {
            yield out;
            out = '';
            n = 0;
          }
        }
        if (out) yield out;
        if (rows - lastProgress >= 10_000) {
          lastProgress = rows;
          hooks.checkCancelled?.();
          await hooks.onProgress?.(rows);
        }
      }
    } catch (err) {
      if (err instanceof CsvFormatError)
        throw new ImportFileError('INVALID_CSV', err.message, err.line);
      throw err;
    }
    if (!header) throw new ImportFileError('EMPTY_FILE', 'the file has no header line', 1);
  }

  await client.query('BEGIN');
  try {
    await repo.createStage(client);
    await hooks.onNote?.('reading and validating');
    await repo.copyIntoStage(client, staged());
    await hooks.onProgress?.(rows);
    hooks.checkCancelled?.();
    const key = importKey(reader.digest(), opts);

    const commit = opts.phase === 'commit';
    if (commit) {
      // Two runs of the same import: the second waits here, then finds the marker.
      await repo.lockImportKey(client, key);
      const prior = await repo.findCommit(client, key);
      if (prior) {
        await client.query('ROLLBACK');
        return {
          phase: opts.phase,
          dryRun: opts.dryRun,
          rows,
          valid: prior.imported,
          invalid: prior.invalid,
          imported: 0,
          alreadyImported: true,
          committed: false,
          contentKey: key,
          invalidRows: [],
          invalidRowsTruncated: false,
        };
      }
    }

    await hooks.onNote?.('checking against the inventory');
    const refs: repo.ResolvedRefs = {
      sites: wanted.sites.size ? await repo.resolveSites(client, [...wanted.sites]) : null,
      ranges: wanted.ranges.size ? await repo.resolveRanges(client, [...wanted.ranges]) : null,
      customers: wanted.customers.size
        ? await repo.resolveCustomers(client, [...wanted.customers])
        : null,
      civic,
    };
    await repo.checkStage(client, refs);
    const invalid = await repo.countInvalid(client);
    const c = { rows, valid: rows - invalid };
    const limit = opts.reportLimit ?? 1_000;
    const invalidRows = await repo.invalidRows(client, limit + 1);
    const truncated = invalidRows.length > limit;
    if (truncated) invalidRows.pop();
    await repo.invalidRowsToJobErrors(client, jobId);
    hooks.checkCancelled?.();

    let imported = 0;
    if (commit) {
      await hooks.onNote?.('merging');
      // A dry run merges for real, then undoes the merge but keeps the report.
      if (opts.dryRun) await client.query('SAVEPOINT dry_run');
      const race = (n: string) =>
        new ImportRaceError(
          `${n} number(s) were added to the inventory while the import ran; run it again`,
        );
      // The import's one audit event first: every merged number links to it.
      // `imported` is the valid count; a merge that inserts fewer throws below.
      const eventId = await repo.auditImport(client, actor, jobId, {
        fileName: opts.fileName ?? null,
        contentKey: key,
        rows,
        imported: c.valid,
        invalid,
        dryRun: opts.dryRun,
      });
      imported = await repo.merge(client, eventId, refs).catch((err: unknown) => {
        throw repo.isNumberTaken(err) ? race('some') : err;
      });
      if (imported !== c.valid) throw race(String(c.valid - imported));
      if (opts.dryRun) await client.query('ROLLBACK TO SAVEPOINT dry_run');
      else await repo.insertCommit(client, key, jobId, imported, invalid);
    }
    // Commits the merge (commit phase) and, in every phase, the job's per-item
    // errors; the temporary tables go with the transaction (ON COMMIT DROP).
    await client.query('COMMIT');
    // The merge left its trigram entries in the index's pending list: merge
    // them now, outside the import's transaction (a failure leaves them to
    // autovacuum; searches are correct either way).
    if (commit && !opts.dryRun && imported > 0) {
      await repo.cleanPendingTrigrams(client).catch(() => undefined);
    }
    return {
      phase: opts.phase,
      dryRun: opts.dryRun,
      rows,
      valid: c.valid,
      invalid,
      imported: commit && !opts.dryRun ? imported : 0,
      alreadyImported: false,
      committed: commit && !opts.dryRun,
      contentKey: key,
      invalidRows,
      invalidRowsTruncated: truncated,
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
