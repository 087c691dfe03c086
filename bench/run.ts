/**
 * `npm run bench`: Numbat's performance figures, each beside a baseline
 * measured in the same run (see bench/README.md).
 *
 *   A  create a 1,000,000-number range through the API
 *   B  list pages and partial-number search over those numbers, p50 / p99;
 *      again after growing the table to 10M numbers by SQL (skip: BENCH_10M=0)
 *   C  50 concurrent allocators, 5,000 allocations; no number allocated twice
 *   G  GET /numbers/{e164} throughput, 50 clients, vs a bare Fastify route
 *
 * Progress goes to stderr, the table to stdout and bench/results/latest.md.
 * Env: BENCH_DATABASE_URL (use that server instead of an embedded one),
 * BENCH_PSQL (psql binary, default /usr/bin/psql), BENCH_10M=0 (skip the 10M pass of B),
 * BENCH_ONLY=C (figure C alone, ~1 min: see onlyC).
 * BENCH_ONLY=A (figure A and its two baselines alone, printed; no results file).
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Db } from '../src/db/pool.js';
import { startBare } from './lib/bare.js';
import { cleanupOnSignals, onCleanup, runCleanup } from './lib/cleanup.js';
import { figureA, figureAText, pickRightAfter, RANGE } from './lib/figure-a.js';
import { figureB, REQUESTS } from './lib/figure-b.js';
import { figureC } from './lib/figure-c.js';
import { figureG } from './lib/figure-g.js';
import { Api } from './lib/http.js';
import { progress } from './lib/log.js';
import { startPostgres } from './lib/postgres.js';
import { report, tableC, tableOnly, writeReport } from './lib/report.js';
import { startNumbat } from './lib/server.js';
import { CUSTOMERS, setupHolders } from './lib/setup.js';
import { growTo10M } from './lib/setup-10m.js';
import { runBulkBench } from './import-export.js';
import { runPortalBench } from './portal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATA_DIR = path.join(here, 'data');
const RESULT = path.join(here, 'results', 'latest.md');

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadStart = os.loadavg()[0]!;
  const t0 = performance.now();
  const postgres = await startPostgres();
  const server = await startNumbat(postgres.url);
  const api = new Api(server.baseUrl, server.token, 64);
  onCleanup('close HTTP client', () => api.close());
  const direct = new pg.Pool({ connectionString: postgres.url, max: 20 });
  direct.on('error', () => undefined);
  onCleanup('close direct pool', () => direct.end());
  if (process.env.BENCH_ONLY === 'C') return onlyC(api, direct, server.database.db);

  const a = await figureA(api, direct, postgres.url, DATA_DIR);
  // BENCH_ONLY=A: figure A alone (1–2 min), printed, bench/results untouched.
  if (process.env.BENCH_ONLY === 'A') {
    process.stdout.write(
      `${figureAText(a, os.loadavg()[0]!, loadStart)}\n${await pickRightAfter(direct)}\n`,
    );
    return;
  }
  const setup = await setupHolders(api, direct);
  const b = await figureB(api, direct, setup.customers, { start: a.start, count: a.count });
  const bareUrl = await startBare(server.database.db);
  const bare = new Api(bareUrl, 'unused', 64);
  onCleanup('close bare HTTP client', () => bare.close());
  const c = await figureC(api, direct, setup.customers, bare);
  const g = await figureG(server.baseUrl, server.token, bareUrl, a);
  // B again at 10M numbers (set up by SQL; BENCH_10M=0 skips it).
  const grown = process.env.BENCH_10M === '0' ? null : await growTo10M(direct, a);
  if (grown) b.push(...(await figureB(api, direct, setup.customers, grown, grown.count)));

  const ctx = {
    pg: postgres,
    setup,
    startedAt,
    totalSeconds: (performance.now() - t0) / 1000,
    load: [loadStart, os.loadavg()[0]!] as [number, number],
    grown,
  };
  await writeReport(RESULT, report(a, b, c, g, ctx, REQUESTS));
  process.stdout.write(`${tableOnly(a, b, c, g)}\n`);
  progress(`written ${path.relative(process.cwd(), RESULT)}`);
  // Issue 3 figures (import, export, validation): bench/import-export.ts.
  process.stdout.write(`\n${await runBulkBench(postgres)}\n`);
  // Issue 6 figure (numbers page through the browser, 1M numbers): bench/portal.ts.
  process.stdout.write(`\n${await runPortalBench()}\n`);
}

/**
 * BENCH_ONLY=C: figure C alone, for work on the allocate path. The same 1M
 * range as A's (made by POST /ranges, A's baselines not measured) and the same
 * five customers, but without setup's 50,000 allocations, B, G, the 10M pass,
 * import/export and the portal. Prints C's rows; writes no results file.
 */
async function onlyC(api: Api, direct: pg.Pool, db: Db): Promise<void> {
  const loadStart = os.loadavg()[0]!;
  const customers: string[] = [];
  for (let i = 1; i <= CUSTOMERS; i++) {
    const body = { name: `Bench customer ${i}`, accountName: `bench-${i}` };
    customers.push((await api.ok<{ id: string }>('POST', '/api/v1/customers', body, 201)).body.id);
  }
  progress(`C only: POST /ranges ${RANGE.count} numbers`);
  await api.ok('POST', '/api/v1/ranges', { ...RANGE }, 201);
  // The range's WAL checkpointed now, not during the first measured side.
  await direct.query('VACUUM (ANALYZE) numbers');
  await direct.query('CHECKPOINT');
  const bareUrl = await startBare(db);
  const bare = new Api(bareUrl, 'unused', 64);
  onCleanup('close bare HTTP client', () => bare.close());
  const c = await figureC(api, direct, customers, bare);
  const load = `1-min load average ${loadStart.toFixed(1)} at start, ${os.loadavg()[0]!.toFixed(1)} at end`;
  process.stdout.write(`BENCH_ONLY=C (${load})\n\n${tableC(c)}\n`);
}

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
