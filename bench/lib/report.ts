/**
 * The result table (figure | ours | baseline | ratio | target | met?), printed
 * to stdout and written with its context to bench/results/latest.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import type { FigureA } from './figure-a.js';
import type { KindResult } from './figure-b.js';
import {
  ALLOCATIONS,
  ALLOCATORS,
  DB_CONNECTIONS,
  ROUNDS,
  TARGET_PER_SECOND,
  type Checks,
  type FigureC,
} from './figure-c.js';
import { TARGET_SHARE, type FigureG } from './figure-g.js';
import type { Grown } from './setup-10m.js';
import type { BenchPostgres } from './postgres.js';
import type { Setup } from './setup.js';
import { int, ms, ratio, secs } from './stats.js';

export const TARGETS = { rangeSeconds: 10, listP99Ms: 20 } as const;

interface Row {
  figure: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
  met: string;
}

const yes = (b: boolean) => (b ? 'yes' : '**no**');

function rows(a: FigureA, b: KindResult[], c: FigureC, g: FigureG): Row[] {
  const out: Row[] = [];
  const aMet = yes(a.apiSeconds <= TARGETS.rangeSeconds);
  out.push({
    figure: 'A1. 1M-number range, POST /ranges',
    ours: secs(a.apiSeconds),
    baseline: `${secs(a.insertSelectSeconds)} (INSERT … SELECT generate_series, unindexed)`,
    ratio: ratio(a.apiSeconds / a.insertSelectSeconds),
    target: `≤ ${TARGETS.rangeSeconds} s`,
    met: aMet,
  });
  out.push({
    figure: 'A2. 1M-number range, POST /ranges',
    ours: secs(a.apiSeconds),
    baseline: `${secs(a.copySeconds)} (psql \\copy 1M-line CSV, unindexed)`,
    ratio: ratio(a.apiSeconds / a.copySeconds),
    target: `≤ ${TARGETS.rangeSeconds} s`,
    met: aMet,
  });
  for (const k of b) {
    out.push({
      figure: `${k.key}. ${k.label} (${int(k.inventory)} numbers)`,
      ours: `p50 ${ms(k.api.p50)} · p99 ${ms(k.api.p99)}`,
      baseline: `p50 ${ms(k.sql.p50)} · p99 ${ms(k.sql.p99)} (same SQL via pg)`,
      ratio: `p50 ${ratio(k.api.p50 / k.sql.p50)} · p99 ${ratio(k.api.p99 / k.sql.p99)}`,
      target: `p99 ≤ ${TARGETS.listP99Ms} ms`,
      met: yes(k.api.p99 <= TARGETS.listP99Ms),
    });
  }
  out.push(...cRows(c), gRow(g));
  return out;
}

/** Figure C's rows (also printed alone by `BENCH_ONLY=C`). */
function cRows(c: FigureC): Row[] {
  const out: Row[] = [];
  out.push({
    figure: `C1. ${int(ALLOCATIONS)} allocations (count 1), ${ALLOCATORS} concurrent allocators`,
    ours: `${int(c.api.perSecond)} /s (${secs(c.api.seconds)})`,
    baseline: `${int(c.sql.perSecond)} /s (${secs(c.sql.seconds)}) (UPDATE … FOR UPDATE SKIP LOCKED, ${ALLOCATORS} callers, ${DB_CONNECTIONS} pg connections)`,
    ratio: ratio(c.sql.perSecond / c.api.perSecond),
    target: `≥ ${int(TARGET_PER_SECOND)} /s`,
    met: yes(c.api.perSecond >= TARGET_PER_SECOND),
  });
  out.push({
    figure: `C3. the same ${int(ALLOCATIONS)} allocations, ${ALLOCATORS} clients, vs one statement per request behind a bare Fastify route`,
    ours: `${int(c.api.perSecond)} /s (${int(c.batches.requests)} requests in ${int(c.batches.statements)} statements, largest ${c.batches.largest})`,
    baseline: `${int(c.bare.perSecond)} /s (bare route: allocateInOneStatement, no auth, hooks or schemas; ${c.bare.checks.ok ? 'checks ok' : 'CHECKS FAILED'})`,
    ratio: `${ratio(c.bare.perSecond / c.api.perSecond)} (ours = ${((c.api.perSecond / c.bare.perSecond) * 100).toFixed(0)} % of bare)`,
    target: 'information: what group commit gains',
    met: '',
  });
  out.push({
    figure: `C4. the same ${int(ALLOCATIONS)} allocations, ${ALLOCATORS} clients, vs the same group commit behind a bare Fastify route`,
    ours: `${int(c.api.perSecond)} /s`,
    baseline: `${int(c.bareBatched.perSecond)} /s (bare route: the allocation batcher, no auth, hooks or schemas; ${c.bareBatched.checks.ok ? 'checks ok' : 'CHECKS FAILED'})`,
    ratio: `${ratio(c.bareBatched.perSecond / c.api.perSecond)} (ours = ${((c.api.perSecond / c.bareBatched.perSecond) * 100).toFixed(0)} % of bare)`,
    target: 'information: the HTTP floor of C1',
    met: '',
  });
  const describe = (k: Checks) =>
    `${k.distinct}/${k.returned} distinct, reserved +${k.reservedDelta}, ${k.heldAsReturned} held as returned` +
    (k.auditDoubles !== null
      ? `, ${k.auditEvents} allocate events, ${k.auditDoubles} numbers with 2+`
      : '') +
    (k.errors.length ? `, errors: ${k.errors.join('; ')}` : '');
  out.push({
    figure: 'C2. no number allocated twice (checked in SQL)',
    ours: describe(c.api.checks),
    baseline: describe(c.sql.checks),
    ratio: '—',
    target: `0 doubles, reserved +${int(ALLOCATIONS)}`,
    met: yes(c.api.checks.ok),
  });
  return out;
}

function gRow(g: FigureG): Row {
  return {
    figure: `G1. GET /api/v1/numbers/{e164}, ${g.clients} concurrent keep-alive clients, ${int(g.requests)} requests each side`,
    ours: `${int(g.ours.perSecond)} /s`,
    baseline: `${int(g.bare.perSecond)} /s (bare Fastify route, same query, pool and JSON${g.sameJson ? '' : ' — BODIES DIFFERED'})`,
    ratio: `${ratio(g.bare.perSecond / g.ours.perSecond)} (ours = ${(g.share * 100).toFixed(0)} % of bare)`,
    target: `≥ ${(TARGET_SHARE * 100).toFixed(0)} % of bare`,
    met: yes(g.share >= TARGET_SHARE && g.sameJson),
  };
}

export function tableC(c: FigureC): string {
  return table(cRows(c));
}

function table(rs: Row[]): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  const lines = [
    '| figure | ours | baseline | ratio | target | met? |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rs) {
    lines.push(
      `| ${[r.figure, r.ours, r.baseline, r.ratio, r.target, r.met].map(esc).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export interface Context {
  pg: BenchPostgres;
  setup: Setup;
  startedAt: Date;
  totalSeconds: number;
  /** 1-minute load averages at the start and the end: other work on the machine skews figures. */
  load: [number, number];
  /** The growth to 10M numbers before B's second pass (absent when BENCH_10M=0). */
  grown: Grown | null;
}

function machine(ctx: Context): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const s = ctx.pg.settings;
  return [
    `- date: ${ctx.startedAt.toISOString()}`,
    `- machine: nproc ${os.availableParallelism()}, ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}`,
    `- Node ${process.version}; PostgreSQL ${ctx.pg.version} (${ctx.pg.origin}); ` +
      `fsync=${s.fsync}, synchronous_commit=${s.synchronous_commit}, full_page_writes=${s.full_page_writes}, ` +
      `shared_buffers=${s.shared_buffers}, max_wal_size=${s.max_wal_size}`,
    `- whole run: ${ctx.totalSeconds.toFixed(0)} s; 1-min load average ${ctx.load[0].toFixed(1)} at start, ${ctx.load[1].toFixed(1)} at end`,
  ].join('\n');
}

const notes = (
  a: FigureA,
  requests: number,
) => `- ratio = ours ÷ baseline for times, baseline ÷ ours for throughput: how many times
  the baseline's cost ours pays (1.00× = as fast as the baseline).
- Numbat runs in the bench's own process (buildApp, request logging off, pool of 20, no job
  worker) and is called over real HTTP on 127.0.0.1 with keep-alive sockets, so on this 2-core
  machine the HTTP client, Numbat and PostgreSQL share the same CPUs.
- A: one run each, after a CHECKPOINT. Ours inserts into the real \`numbers\` table
  (${a.schema.indexes} indexes including the primary key and ${a.schema.gin} GIN (digit grams, 0012),
  ${a.schema.foreignKeys} foreign keys, ${a.schema.checks} checks) in one transaction with the
  range row and its audit event, then counts utilisation for the reply.
- Before B and C: 5 customers, 10,000 numbers each allocated through the API (1,000 a call,
  starting right after the range was created), half of them activated (bulk activate), then
  VACUUM ANALYZE.
- B: one request at a time; each kind's ${requests} requests are generated from a seeded PRNG and
  the same list is sent through the API and as SQL, taking turns request by request. The SQL is
  the text \`listNumbers\` (src/numbers/numbers.list.ts) compiles, sent with pg; an unmeasured
  SQL pass warms the caches first. API time = request sent → whole body received.
- C: the four sides (ours, SQL baseline, C3's and C4's bare routes) take turns in ${ROUNDS} rounds of
  ${int(ALLOCATIONS / ROUNDS)} (order reversed every other round; VACUUM ANALYZE before each round), so that
  load from elsewhere falls on all alike. ${ALLOCATORS} concurrent callers on each side: keep-alive
  HTTP clients against Numbat (pool of ${DB_CONNECTIONS}), and callers sharing a pg pool of
  ${DB_CONNECTIONS} connections for the baseline. The baseline writes no audit events; ours
  checks R-12 (holder active), writes one audit event per allocation and returns the full
  number. Ours uses group commit (src/numbers/allocation-batcher.ts): requests with the same
  pool filter that arrive while the previous allocate statement runs go together in the next
  one (numbers.repository allocateBatchInOneStatement: one pick, one transaction, one commit,
  each request its own holder, numbers and audit events); a lone request goes at once, alone.
  C3 runs one statement per request (allocateInOneStatement, Numbat's path before group
  commit) behind a bare Fastify route (lib/bare.ts) with the same 50 clients; C4 runs the same
  group commit as ours behind a bare route: the difference between C1 and C4 is the cost of
  Numbat's stack (auth, validation, hooks, service). The SQL baseline has no HTTP at all.
- G: the bare route is a second Fastify instance in the same process (no plugins, hooks, auth
  or schemas) calling the same \`getNumber\` on the same Kysely/pg pool and returning
  \`presentNumber\` of the row with its ETag; ours goes through everything a real request
  does (request id, bearer-token auth with its cache, params schema, response serialisation
  by the NumberSchema, metrics hook). Both are hit by the same list of random numbers of
  the 1M range, in alternating rounds after a warm-up; the first body is compared byte for byte.
- B at 10M: the same three kinds with the same seeds, after growing the table to 10M (see
  Details); B1's customers hold the same numbers, B2's cursor and B3's search cover 10M numbers.`;

export function report(
  a: FigureA,
  b: KindResult[],
  c: FigureC,
  g: FigureG,
  ctx: Context,
  requests: number,
): string {
  const t = table(rows(a, b, c, g));
  const details = [
    `- setup: allocated ${int(ctx.setup.allocated)} numbers through the API in ${secs(ctx.setup.allocateSeconds)} ` +
      `(${int(ctx.setup.allocated / ctx.setup.allocateSeconds)} /s, 1,000 a call: p50 ${ms(ctx.setup.allocateCalls.p50)}, ` +
      `max ${ms(ctx.setup.allocateCalls.max)} per call, starting as soon as the range was created); activated ${int(ctx.setup.activated)} in ` +
      `${secs(ctx.setup.activateSeconds)}`,
    `- allocation pick of 1,000 (EXPLAIN ANALYZE): ${ms(ctx.setup.pickPlans.beforeAnalyze.executionMs)} right after ` +
      `POST /ranges returned, ${ms(ctx.setup.pickPlans.afterAnalyze.executionMs)} after the bench's VACUUM ANALYZE`,
    `- A: range ${a.start}–${a.end} (${int(a.count)} numbers, both ends valid GB fixed-line numbers)`,
    ctx.grown
      ? `- 10M: grown to ${int(ctx.grown.count)} numbers by SQL (9 more ranges of 1M after A's, ` +
        `INSERT … SELECT generate_series into the indexed table, then VACUUM ANALYZE) in ` +
        `${secs(ctx.grown.seconds)}; numbers table with indexes ${(ctx.grown.totalBytes / 2 ** 30).toFixed(1)} GiB`
      : '- 10M: skipped (BENCH_10M=0)',
    ...b.map(
      (k) =>
        `- ${k.key}: ${k.api.n} requests each side, ${k.meanRows.toFixed(1)} rows/page on average; ` +
        `max API ${ms(k.api.max)}, max SQL ${ms(k.sql.max)}; e.g. \`${k.example}\``,
    ),
  ].join('\n');
  const fence = (lang: string, text: string) => `\`\`\`${lang}\n${text}\n\`\`\``;
  const pick = ctx.setup.pickPlans;
  const plans = [
    `### Allocation pick of 1,000 (POST /numbers/allocate) right after POST /ranges returned\n\n` +
      fence('', pick.beforeAnalyze.text),
    `### The same pick after the bench's VACUUM ANALYZE\n\n${fence('', pick.afterAnalyze.text)}`,
    ...b.map(
      (k) =>
        `### ${k.key}: SQL and plan of the slowest SQL sample\n\n${fence('sql', k.sqlText)}\n\n` +
        fence('', k.slowestPlan),
    ),
  ].join('\n\n');
  return [
    '# Numbat benchmark',
    '',
    machine(ctx),
    '',
    t,
    '',
    '## Details',
    '',
    details,
    '',
    '## Notes',
    '',
    notes(a, requests),
    '',
    '## Query plans',
    '',
    plans,
    '',
  ].join('\n');
}

export function tableOnly(a: FigureA, b: KindResult[], c: FigureC, g: FigureG): string {
  return table(rows(a, b, c, g));
}

/** Written as Prettier would, so that `npm run check` passes once it is committed. */
export async function writeReport(file: string, text: string): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await prettier.format(text, { ...options, parser: 'markdown' }));
}
