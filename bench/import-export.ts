/**
 * Issue 3 figures: bulk import, export and validation speed, each beside a
 * baseline measured in the same run on the same PostgreSQL.
 *
 *   D1  `numbat import` of a 1,000,000-row CSV (validation, staging, checks,
 *       merge, 1 audit event + 1M number links) vs `psql \copy` of the same file into an
 *       unindexed table                                  target ratio ≤ 3
 *   D2  the same import vs `psql \copy` into an indexed copy of `numbers`
 *       (information: the floor the database itself sets)
 *   D3  peak RSS of the import process                   target ≤ 300 MB
 *   E1  `numbat export` of 1M rows vs `psql \copy (SELECT …) TO STDOUT CSV`
 *       of the same SELECT                               target ratio ≤ 1.5
 *   E2  peak RSS of the export process                   target ≤ 300 MB
 *   V1  R-2 validation throughput, E.164 fast path vs libphonenumber-js
 *                                                        target ≥ 200k/s
 *   V2  whole-row import checks (CSV parse + all field checks), one thread
 *
 * Then at 10M numbers (issue 7; BENCH_10M=0 skips it): the table grows by 9M
 * numbers written by SQL (bench/lib/setup-10m.ts; set-up, not a figure), and
 *   E3  `numbat export` of the 10M rows vs `psql \copy (SELECT …)`, same
 *       SELECT, byte-identical                           target ratio ≤ 1.2
 *   E4  peak RSS of that export                          target ≤ 300 MB
 *   D4  `numbat import` of another 1M-row CSV (new numbers) into the 10M
 *       table vs `psql \copy` of the file into an unindexed table
 *                                                        target ratio ≤ 1.5
 *   D5  peak RSS of that import                          target ≤ 300 MB
 *
 * Run on its own: `npx tsx bench/import-export.ts` (embedded PostgreSQL with
 * fsync on, or BENCH_DATABASE_URL), or through `npm run bench`. The CLI is
 * compiled first (tsc → bench/data/build) and run as `node …/cli.js`, as the
 * `numbat` binary runs it; peak RSS comes from /usr/bin/time -v.
 * Progress on stderr, the table on stdout and in bench/results/import-export.md.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createDb } from '../src/db/pool.js';
import { migrate } from '../src/db/migrate.js';
import { normalizeNumber } from '../src/domain/e164.js';
import { normalizeNumberFast } from '../src/domain/e164-fast.js';
import { checkRow, parseHeader, type HeaderIndex } from '../src/domain/import-row.js';
import { exportSelect } from '../src/exports/exports.repository.js';
import { readCsv } from '../src/imports/imports.reader.js';
import { growTo10M } from './lib/setup-10m.js';
import { cleanupOnSignals, onCleanup, runCleanup } from './lib/cleanup.js';
import { progress } from './lib/log.js';
import { writeReport } from './lib/report.js';
import { startPostgres, type BenchPostgres } from './lib/postgres.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, '..');
const DATA = path.join(here, 'data');
const BUILD = path.join(DATA, 'build');
const CSV = path.join(DATA, 'import-1m.csv');
/** D4's file: 1M numbers that neither CSV nor the 10M growth holds. */
const CSV_10M = path.join(DATA, 'import-1m-into-10m.csv');
const RESULT = path.join(here, 'results', 'import-export.md');
const PSQL = process.env.BENCH_PSQL ?? '/usr/bin/psql';
const TIME = '/usr/bin/time';
const ROWS = 1_000_000;

export const TARGETS = { importRatio: 3, exportRatio: 1.5, rssMb: 300, validationPerSec: 200_000 };
/** Issue 7's targets, at 1M and at 10M numbers. */
export const TARGETS_7 = { importRatio: 1.5, exportRatio: 1.2 };

/**
 * `number,country,usage,capabilities,serviceInfo`; GB numbers, every one
 * valid: half fixed lines +44 <fixed> xxxxxx, half mobiles +44 <mobile> xxxxxx.
 */
function generateCsv(file = CSV, fixed = '2030', mobile = '7400'): void {
  const header = 'number,country,usage,capabilities,serviceInfo\n';
  if (fs.existsSync(file)) {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(header.length);
    fs.readSync(fd, buf, 0, header.length, 0);
    fs.closeSync(fd);
    if (buf.toString() === header) return;
  }
  progress(`generating ${file} (${ROWS} rows)`);
  fs.mkdirSync(DATA, { recursive: true });
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, header);
  const usages = ['user', 'application', 'conference', 'contactCenter'];
  let chunk = '';
  for (let i = 0; i < ROWS; i++) {
    const n =
      i % 2 === 0
        ? `+44${fixed}${String(i / 2).padStart(6, '0')}`
        : `+44${mobile}${String((i - 1) / 2).padStart(6, '0')}`;
    const caps = i % 3 === 0 ? 'inboundCalling|outboundCalling' : 'inboundCalling';
    chunk += `${n},GB,${usages[i % 4]},${caps},bench row ${i}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

async function buildCli(): Promise<string> {
  progress('compiling the CLI (tsc -p tsconfig.build.json → bench/data/build)');
  // tsc emits even when another module has a type error; the run below fails loudly if it matters.
  await run(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      BUILD,
    ],
    { cwd: ROOT },
  ).catch((err: { stdout?: string }) =>
    progress(`tsc reported: ${(err.stdout ?? '').split('\n')[0]}`),
  );
  const cli = path.join(BUILD, 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`no ${cli} after tsc`);
  return cli;
}

interface Measured {
  seconds: number;
  maxRssMb: number | null;
  stdout: string;
}

/** Run a command under /usr/bin/time -v; wall time measured here, peak RSS from time. */
function measure(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdoutFile?: string,
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const useTime = fs.existsSync(TIME);
    const fd = stdoutFile ? fs.openSync(stdoutFile, 'w') : null;
    const child = spawn(useTime ? TIME : cmd, useTime ? ['-v', cmd, ...args] : args, {
      env,
      stdio: ['ignore', fd ?? 'pipe', 'pipe'],
    });
    if (fd !== null) fs.closeSync(fd); // the child has its own copy
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const start = performance.now();
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0)
        return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      resolve({ seconds, maxRssMb: m ? Number(m[1]) / 1024 : null, stdout: out });
    });
  });
}

function psql(url: string, command: string, stdoutFile?: string): Promise<Measured> {
  return measure(
    PSQL,
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', command],
    process.env,
    stdoutFile,
  );
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A database of its own on the bench server (other figures' numbers cannot collide). */
async function ownDatabase(serverDbUrl: string): Promise<string> {
  const name = `numbat_bench_bulk_${randomBytes(4).toString('hex')}`;
  await withClient(serverDbUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  onCleanup(`drop database ${name}`, () =>
    withClient(serverDbUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }),
  );
  const u = new URL(serverDbUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function rate(n: number, seconds: number) {
  return n / seconds;
}

/** V1 / V2: in-process throughput of the pure validation code. */
async function validationFigures(): Promise<{
  fastPerSec: number;
  libPerSec: number;
  rowsPerSec: number;
}> {
  progress('V: reading the numbers of the CSV');
  const numbers: string[] = [];
  const rows: string[][] = [];
  let header: { index: HeaderIndex; width: number } | null = null;
  const reader = readCsv(fs.createReadStream(CSV, { highWaterMark: 1 << 20 }));
  for await (const batch of reader.batches) {
    for (const r of batch) {
      if (!header) {
        const h = parseHeader(r.cells);
        if (!h.ok) throw new Error(h.message);
        header = h;
        continue;
      }
      numbers.push(r.cells[0]!);
      if (rows.length < 200_000) rows.push(r.cells);
    }
  }
  const time = (fn: () => void) => {
    const s = performance.now();
    fn();
    return (performance.now() - s) / 1000;
  };
  progress(`V1: R-2 fast path over ${numbers.length} numbers (best of 3)`);
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    best = Math.min(
      best,
      time(() => {
        let ok = 0;
        for (const n of numbers) if (normalizeNumberFast(n).ok) ok++;
        if (ok !== numbers.length) throw new Error(`only ${ok} valid`);
      }),
    );
  }
  const fastPerSec = rate(numbers.length, best);
  const sample = numbers.slice(0, 200_000);
  progress(`V1 baseline: libphonenumber-js (normalizeNumber) over ${sample.length} numbers`);
  const lib = time(() => {
    for (const n of sample) normalizeNumber(n);
  });
  progress('V2: whole-row checks (all fields) over 200,000 rows');
  const rowSecs = time(() => {
    for (const r of rows) checkRow(r, header!);
  });
  return {
    fastPerSec,
    libPerSec: rate(sample.length, lib),
    rowsPerSec: rate(rows.length, rowSecs),
  };
}

/** Whether two files hold the same bytes, and the lines of the first; read in chunks (files of 1 GB). */
function compareFiles(a: string, b: string): { identical: boolean; lines: number } {
  const fa = fs.openSync(a, 'r');
  const fb = fs.openSync(b, 'r');
  const ba = Buffer.alloc(1 << 20);
  const bb = Buffer.alloc(1 << 20);
  let identical = true;
  let lines = 0;
  try {
    for (;;) {
      const na = fs.readSync(fa, ba, 0, ba.length, null);
      let nb = 0;
      while (nb < na) {
        const got = fs.readSync(fb, bb, nb, na - nb, null);
        if (got === 0) break;
        nb += got;
      }
      if (nb !== na || !ba.subarray(0, na).equals(bb.subarray(0, nb))) identical = false;
      for (let i = ba.indexOf(0x0a); i !== -1 && i < na; i = ba.indexOf(0x0a, i + 1)) lines++;
      if (na === 0) {
        if (fs.readSync(fb, bb, 0, 1, null) !== 0) identical = false;
        return { identical, lines };
      }
    }
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

/**
 * E1's rounds: psql and `numbat export` alternate, and each figure is the
 * median of its rounds. One run of each swung by ±50 % on the shared machine
 * (other work comes and goes within seconds); alternating exposes both to the
 * same load, and the median drops a round that caught a burst.
 */
const E1_ROUNDS = 3;
/** E3 (10M rows, ~1 min a run): 2 rounds, the faster of each (one round alone read 0.79×–0.99×). */
const E3_ROUNDS = 2;

async function alternating(
  rounds: number,
  baseline: () => Promise<Measured>,
  ours: () => Promise<Measured>,
): Promise<{ baseline: Measured; ours: Measured }> {
  const b: Measured[] = [];
  const o: Measured[] = [];
  for (let i = 0; i < rounds; i++) {
    b.push(await baseline());
    o.push(await ours());
    progress(
      `  round ${i + 1}: psql ${b[i]!.seconds.toFixed(2)} s, numbat ${o[i]!.seconds.toFixed(2)} s (peak RSS ${o[i]!.maxRssMb?.toFixed(0)} MB)`,
    );
  }
  // The median; of an even count, the lower middle one (of 2 rounds: the faster).
  const median = (ms: Measured[]) =>
    [...ms].sort((x, y) => x.seconds - y.seconds)[Math.floor((ms.length - 1) / 2)]!;
  const peak = o.some((m) => m.maxRssMb === null) ? null : Math.max(...o.map((m) => m.maxRssMb!));
  return { baseline: median(b), ours: { ...median(o), maxRssMb: peak } };
}

export interface TenMillionFigures {
  /** Rows in the table when exported. */
  rows: number;
  growSeconds: number;
  exportSeconds: number;
  exportRssMb: number | null;
  exportBaselineSeconds: number;
  exportIdentical: boolean;
  importSeconds: number;
  importRssMb: number | null;
  copySeconds: number;
}

/**
 * E3, E4, D4, D5: the table grown to 10M numbers by SQL (the way bench/run.ts
 * grows it for B), then the export of all of it and an import of 1M new
 * numbers into it, each beside its psql baseline from the same minute.
 */
async function tenMillionFigures(
  pool: pg.Pool,
  url: string,
  cli: string,
  env: NodeJS.ProcessEnv,
): Promise<TenMillionFigures> {
  generateCsv(CSV_10M, '2031', '7401');
  // +44 121 0000000 … +44 121 8999999: none of them in either CSV.
  const grown = await growTo10M(pool, { start: '+441210000000', count: 0 });
  progress(`  ${grown.count} numbers after ${grown.seconds.toFixed(0)} s`);
  await pool.query('CHECKPOINT');

  const ours = path.join(DATA, `export-10m-ours-${process.pid}.csv`);
  const base = path.join(DATA, `export-10m-psql-${process.pid}.csv`);
  onCleanup('remove 10M export files', () => {
    fs.rmSync(ours, { force: true });
    fs.rmSync(base, { force: true });
  });
  const select = exportSelect(createDb(pool), { now: new Date() });
  progress(
    `E3: ${E3_ROUNDS} rounds of psql \\copy (SELECT …) TO STDOUT CSV of 10M rows (the same SELECT), then numbat export > file`,
  );
  const { baseline: exportBase, ours: exp } = await alternating(
    E3_ROUNDS,
    () => psql(url, `\\copy (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`, base),
    () => measure(process.execPath, [cli, 'export'], env, ours),
  );
  const cmp = compareFiles(ours, base);
  if (cmp.lines - 1 !== grown.count)
    throw new Error(`10M export has ${cmp.lines - 1} rows, expected ${grown.count}`);
  fs.rmSync(ours, { force: true });
  fs.rmSync(base, { force: true });

  progress('D4 baseline: psql \\copy of the second CSV into an unindexed table');
  await pool.query('TRUNCATE bench_raw');
  await pool.query('CHECKPOINT');
  const copy = await psql(url, `\\copy bench_raw FROM '${CSV_10M}' WITH (FORMAT csv, HEADER true)`);
  progress(`  ${copy.seconds.toFixed(2)} s`);
  await pool.query('CHECKPOINT');
  progress(`D4: numbat import ${path.basename(CSV_10M)} into the ${grown.count}-number table`);
  const imp = await measure(process.execPath, [cli, 'import', CSV_10M], env);
  const summary = JSON.parse(imp.stdout.trim().split('\n').pop()!) as { imported: number };
  if (summary.imported !== ROWS) throw new Error(`imported ${summary.imported}, expected ${ROWS}`);
  progress(`  ${imp.seconds.toFixed(2)} s, peak RSS ${imp.maxRssMb?.toFixed(0)} MB`);
  return {
    rows: grown.count,
    growSeconds: grown.seconds,
    exportSeconds: exp.seconds,
    exportRssMb: exp.maxRssMb,
    exportBaselineSeconds: exportBase.seconds,
    exportIdentical: cmp.identical,
    importSeconds: imp.seconds,
    importRssMb: imp.maxRssMb,
    copySeconds: copy.seconds,
  };
}

export interface BulkFigures {
  importSeconds: number;
  importRssMb: number | null;
  copySeconds: number;
  copyIndexedSeconds: number;
  exportSeconds: number;
  exportRssMb: number | null;
  exportBaselineSeconds: number;
  exportIdentical: boolean;
  fastPerSec: number;
  libPerSec: number;
  rowsPerSec: number;
  /** At 10M numbers; null when BENCH_10M=0. */
  tenM: TenMillionFigures | null;
}

/** All issue-3 figures against the PostgreSQL server of `serverDbUrl` (any database on it). */
export async function bulkFigures(serverDbUrl: string): Promise<BulkFigures> {
  generateCsv();
  const cli = await buildCli();
  const url = await ownDatabase(serverDbUrl);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  onCleanup('close bulk bench pool', () => pool.end());
  await migrate(pool);
  const env = { ...process.env, DATABASE_URL: url };

  progress('D baseline: psql \\copy of the CSV into an unindexed table');
  await pool.query(
    'CREATE TABLE bench_raw (number text, country text, usage text, capabilities text, service_info text)',
  );
  const copy = await psql(url, `\\copy bench_raw FROM '${CSV}' WITH (FORMAT csv, HEADER true)`);
  progress(`  ${copy.seconds.toFixed(2)} s`);

  progress('D2 floor: INSERT … SELECT of those rows into a copy of `numbers` with all its indexes');
  await pool.query('CREATE TABLE bench_numbers (LIKE numbers INCLUDING ALL)');
  const floorStart = performance.now();
  await pool.query(
    `INSERT INTO bench_numbers (e164, country, kind, usage, capabilities, service_info, source)
     SELECT number, country, 'fixedLine', usage, string_to_array(capabilities, '|'), service_info, 'import'
     FROM bench_raw ORDER BY number`,
  );
  const copyIndexed = { seconds: (performance.now() - floorStart) / 1000 };
  progress(`  ${copyIndexed.seconds.toFixed(2)} s`);
  await pool.query('DROP TABLE bench_numbers');
  await pool.query('CHECKPOINT');

  progress(`D1: numbat import ${path.basename(CSV)} (node ${path.relative(ROOT, cli)})`);
  const imp = await measure(process.execPath, [cli, 'import', CSV], env);
  const summary = JSON.parse(imp.stdout.trim().split('\n').pop()!) as { imported: number };
  if (summary.imported !== ROWS) throw new Error(`imported ${summary.imported}, expected ${ROWS}`);
  progress(`  ${imp.seconds.toFixed(2)} s, peak RSS ${imp.maxRssMb?.toFixed(0)} MB`);
  await pool.query('VACUUM ANALYZE numbers');
  await pool.query('CHECKPOINT');

  // Named per process: two bench runs at once (six engineers, one tree) must not share a file.
  const ours = path.join(DATA, `export-ours-${process.pid}.csv`);
  const base = path.join(DATA, `export-psql-${process.pid}.csv`);
  onCleanup('remove export files', () => {
    fs.rmSync(ours, { force: true });
    fs.rmSync(base, { force: true });
  });
  const select = exportSelect(createDb(pool), { now: new Date() });
  progress(
    `E1: ${E1_ROUNDS} rounds of psql \\copy (SELECT …) TO STDOUT CSV (the same SELECT), then numbat export > file`,
  );
  const { baseline: exportBase, ours: exp } = await alternating(
    E1_ROUNDS,
    () => psql(url, `\\copy (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`, base),
    async () => {
      const m = await measure(process.execPath, [cli, 'export'], env, ours);
      const check = compareFiles(ours, base);
      if (check.lines !== ROWS + 1 || !check.identical)
        throw new Error(
          `export round: ${check.lines - 1} rows (expected ${ROWS}), ${check.identical ? 'identical to' : 'differs from'} psql's file`,
        );
      return m;
    },
  );
  // Each round was checked (ROWS rows, the bytes of psql's file).
  const identical = true;

  const v = await validationFigures();
  const tenM = process.env.BENCH_10M === '0' ? null : await tenMillionFigures(pool, url, cli, env);
  return {
    importSeconds: imp.seconds,
    importRssMb: imp.maxRssMb,
    copySeconds: copy.seconds,
    copyIndexedSeconds: copyIndexed.seconds,
    exportSeconds: exp.seconds,
    exportRssMb: exp.maxRssMb,
    exportBaselineSeconds: exportBase.seconds,
    exportIdentical: identical,
    ...v,
    tenM,
  };
}

const s = (x: number) => `${x.toFixed(2)} s`;
const r = (x: number) => `${x.toFixed(2)}×`;
const k = (x: number) => `${Math.round(x / 1000).toLocaleString('en')}k/s`;
const mb = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(0)} MB`);
const met = (b: boolean) => (b ? 'yes' : '**no**');

function tenMillionRows(t: BulkFigures['tenM']): string[][] {
  if (!t) return [['E3–D5. at 10M numbers: skipped (BENCH_10M=0)', '', '', '', '', '']];
  const millions = `${(t.rows / 1e6).toFixed(0)}M`;
  return [
    [
      `E3. export ${millions} rows (\`numbat export\`, faster of ${E3_ROUNDS} alternating rounds; table grown by SQL in ${t.growSeconds.toFixed(0)} s, not measured)`,
      s(t.exportSeconds),
      `${s(t.exportBaselineSeconds)} (psql \\copy (SELECT …) TO STDOUT CSV, same SELECT${t.exportIdentical ? ', identical bytes' : ', **bytes differ**'})`,
      r(t.exportSeconds / t.exportBaselineSeconds),
      `≤ ${TARGETS_7.exportRatio}×`,
      met(t.exportIdentical && t.exportSeconds / t.exportBaselineSeconds <= TARGETS_7.exportRatio),
    ],
    [
      `E4. export ${millions} peak RSS`,
      mb(t.exportRssMb),
      '',
      '',
      `≤ ${TARGETS.rssMb} MB`,
      met((t.exportRssMb ?? Infinity) <= TARGETS.rssMb),
    ],
    [
      `D4. import 1M-row CSV of new numbers into the ${millions}-number table (\`numbat import\`)`,
      s(t.importSeconds),
      `${s(t.copySeconds)} (psql \\copy, unindexed table)`,
      r(t.importSeconds / t.copySeconds),
      `≤ ${TARGETS_7.importRatio}× (#7)`,
      met(t.importSeconds / t.copySeconds <= TARGETS_7.importRatio),
    ],
    [
      'D5. that import’s peak RSS',
      mb(t.importRssMb),
      '',
      '',
      `≤ ${TARGETS.rssMb} MB`,
      met((t.importRssMb ?? Infinity) <= TARGETS.rssMb),
    ],
  ];
}

export function bulkTable(f: BulkFigures): string {
  const rows: string[][] = [
    ['figure', 'ours', 'baseline', 'ratio', 'target', 'met?'],
    [
      'D1. import 1M-row CSV (`numbat import`, validation + merge + 1 audit event linked to each of the 1M numbers)',
      s(f.importSeconds),
      `${s(f.copySeconds)} (psql \\copy, unindexed table)`,
      r(f.importSeconds / f.copySeconds),
      `≤ ${TARGETS.importRatio}×`,
      met(f.importSeconds / f.copySeconds <= TARGETS.importRatio),
    ],
    [
      'D2. same import vs the database floor',
      s(f.importSeconds),
      `${s(f.copyIndexedSeconds)} (INSERT … SELECT into a copy of numbers with its indexes; no checks, no audit)`,
      r(f.importSeconds / f.copyIndexedSeconds),
      'information',
      '',
    ],
    [
      'D3. import peak RSS',
      mb(f.importRssMb),
      '',
      '',
      `≤ ${TARGETS.rssMb} MB`,
      met((f.importRssMb ?? Infinity) <= TARGETS.rssMb),
    ],
    [
      `E1. export 1M rows (\`numbat export\`; median of ${E1_ROUNDS} alternating rounds)`,
      s(f.exportSeconds),
      `${s(f.exportBaselineSeconds)} (psql \\copy (SELECT …) TO STDOUT CSV, same SELECT${f.exportIdentical ? ', identical bytes' : ''})`,
      r(f.exportSeconds / f.exportBaselineSeconds),
      `≤ ${TARGETS_7.exportRatio}× (#7; #3: ≤ ${TARGETS.exportRatio}×)`,
      met(f.exportSeconds / f.exportBaselineSeconds <= TARGETS_7.exportRatio),
    ],
    [
      'E2. export peak RSS',
      mb(f.exportRssMb),
      '',
      '',
      `≤ ${TARGETS.rssMb} MB`,
      met((f.exportRssMb ?? Infinity) <= TARGETS.rssMb),
    ],
    [
      'V1. R-2 validation, E.164 input (fast path, 1 thread)',
      k(f.fastPerSec),
      `${k(f.libPerSec)} (libphonenumber-js)`,
      r(f.fastPerSec / f.libPerSec),
      `≥ ${k(TARGETS.validationPerSec)}`,
      met(f.fastPerSec >= TARGETS.validationPerSec),
    ],
    [
      'V2. whole-row import checks (all fields, 1 thread)',
      `${k(f.rowsPerSec)} rows`,
      '',
      '',
      'information',
      '',
    ],
    ...tenMillionRows(f.tenM),
  ];
  const line = (c: string[]) => `| ${c.join(' | ')} |`;
  return [line(rows[0]!), line(rows[0]!.map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}

/** Measure, write bench/results/import-export.md, return the table (also used by bench/run.ts). */
export async function runBulkBench(postgres: BenchPostgres): Promise<string> {
  const load = os.loadavg()[0]!;
  const f = await bulkFigures(postgres.url);
  const table = bulkTable(f);
  const settings = Object.entries(postgres.settings)
    .map(([a, b]) => `${a}=${b}`)
    .join(', ');
  // Formatted as `prettier --check .` (CI) expects: the file is committed.
  await writeReport(
    RESULT,
    `# Bulk import / export figures (issues 3 and 7)\n\n` +
      `${new Date().toISOString()} · PostgreSQL ${postgres.version} (${postgres.origin}; ${settings}) · ` +
      `${os.cpus().length} cores, load average ${load.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)}\n\n` +
      `${table}\n`,
  );
  progress(`written ${path.relative(process.cwd(), RESULT)}`);
  return table;
}

async function main(): Promise<void> {
  const postgres = await startPostgres();
  process.stdout.write(`${await runBulkBench(postgres)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cleanupOnSignals();
  let failed = false;
  try {
    await main();
  } catch (err) {
    failed = true;
    progress(`FAILED: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await runCleanup();
  }
  process.exit(failed ? 1 : 0);
}
