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
 * BENCH_PSQL (psql binary, default /usr/bin/psql), BENCH_10M=0 (skip the 10M pass of B).
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startBare } from './lib/bare.js';
import { cleanupOnSignals, onCleanup, runCleanup } from './lib/cleanup.js';
import { figureA } from './lib/figure-a.js';
import { figureB, REQUESTS } from './lib/figure-b.js';
import { figureC } from './lib/figure-c.js';
import { figureG } from './lib/figure-g.js';
import { Api } from './lib/http.js';
import { progress } from './lib/log.js';
import { startPostgres } from './lib/postgres.js';
import { report, tableOnly, writeReport } from './lib/report.js';
import { startNumbat } from './lib/server.js';
import { setupHolders } from './lib/setup.js';
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

  const a = await figureA(api, direct, postgres.url, DATA_DIR);
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
