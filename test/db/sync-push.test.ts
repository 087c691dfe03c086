/**
 * SPEC §3.3 / §8 platform sync, end to end over real HTTP on loopback: Numbat
 * (API in process, workers in process or as a `numbat worker` child) and both
 * platform emulators. 10,000 numbers go to ACG in batches of ≤ 100 under
 * injected 429s (Retry-After) and 5xx (some after the gateway executed the
 * batch), and again with the worker killed by SIGKILL mid-push and restarted;
 * each time every number ends `active` and is upstream exactly once. Every
 * request the connectors sent is checked against the reference files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ACG_EMULATOR_CLIENT_ID, ACG_EMULATOR_CLIENT_SECRET } from '../../src/emulators/acg.js';
import { acgContract, webexContract } from '../../src/emulators/contract.js';
import { WEBEX_EMULATOR_TOKEN } from '../../src/emulators/webex.js';
import { expectAllConform } from '../unit/sync-support.js';
import { createSyncEnv } from './sync-env.js';

const env = await createSyncEnv();
const {
  t,
  acg,
  acgUrl,
  webex,
  webexUrl,
  drainSync,
  syncedService,
  upload,
  putOnService,
  syncCounts,
} = env;

/** What `numbat worker` needs to reach the emulators (src/sync/sync.config.ts). */
const syncEnv = {
  NUMBAT_ACG_URL: acgUrl,
  NUMBAT_ACG_TOKEN_URL: `${acgUrl}/oauth2/v2.0/token`,
  NUMBAT_ACG_CLIENT_ID: ACG_EMULATOR_CLIENT_ID,
  NUMBAT_ACG_CLIENT_SECRET: ACG_EMULATOR_CLIENT_SECRET,
  NUMBAT_WEBEX_URL: webexUrl,
  NUMBAT_WEBEX_TOKEN: WEBEX_EMULATOR_TOKEN,
  NUMBAT_SYNC_RETRY_ATTEMPTS: '8',
  NUMBAT_SYNC_RETRY_BASE_MS: '20',
};

const acgBatchSizes = () =>
  acg.requests
    .filter((r) => r.operationId === 'Accounts_CreateOrUpdateNumbers' && r.status === 200)
    .map((r) => (r.body as { numbers: unknown[] }).numbers.length);

/** Throttling and outages sprinkled over the run, from the platform's side. */
function injectFaults(base: string): () => Promise<number> {
  let stop = false;
  let injected = 0;
  const control = (path: string, body: unknown) =>
    fetch(`${base}/_control/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      const kind = i % 4;
      if (kind === 0) await control('throttle', { count: 1, retryAfterSeconds: i === 0 ? 1 : 0 });
      else if (kind === 1) await control('outage', { count: 1, status: 503, afterExecute: false });
      else if (kind === 2) await control('outage', { count: 1, status: 500, afterExecute: true });
      else await control('throttle', { count: 2, retryAfterSeconds: 0 });
      injected++;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return injected;
  };
}

const COUNT = 10_000;

describe('push through the outbox', () => {
  it('10,000 numbers on a synced Teams service end active, once upstream, under 429s and 5xx (batches ≤ 100)', async () => {
    const { customer, serviceId } = await syncedService('teamsOperatorConnect');
    await putOnService(customer.id, serviceId, '+44207100', COUNT);
    // The change committed its push: every number pending first sync, R-13 set, one outbox row each.
    expect(await syncCounts('+44207100')).toEqual({
      pendingFirstSync: { n: COUNT, pending: COUNT },
    });
    const outbox = await sql<{ n: number }>`SELECT count(*)::int AS n FROM sync_outbox`.execute(
      t.db,
    );
    expect(outbox.rows[0]!.n).toBe(COUNT);
    const stopFaults = injectFaults(acgUrl);
    await drainSync();
    const injected = await stopFaults();

    expect(await syncCounts('+44207100')).toEqual({ active: { n: COUNT, pending: 0 } });
    const upstream = [...acg.state.numbers.values()].filter((n) =>
      String(n.resource.telephoneNumber).startsWith('+44207100'),
    );
    expect(upstream).toHaveLength(COUNT);
    // Exactly once: no batch was executed twice, although answers were lost after execution.
    expect([...acg.state.writes.values()].every((w) => w === 1)).toBe(true);
    const sizes = acgBatchSizes();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(COUNT);
    expect(injected).toBeGreaterThan(0);
    expect(acg.requests.some((r) => r.status === 429)).toBe(true);
    expect(acg.requests.some((r) => r.status >= 500)).toBe(true);
    expect(await sql`SELECT 1 FROM sync_outbox`.execute(t.db).then((r) => r.rows.length)).toBe(0);
    const job = await t.db
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'sync.push')
      .executeTakeFirstOrThrow();
    expect(job.status).toBe('succeeded');
    expect(job.done).toBe(COUNT);
    const after = await t.admin('GET', '/api/v1/numbers/+442071000005');
    expect(after.json().sync).toMatchObject({ state: 'active', errors: [], upstreamJobId: job.id });
    expect(after.json().pendingOperation).toBeNull();
  }, 180_000);

  it('Webex: an integrated service pushes its numbers to the location under throttling; non-integrated never pushes', async () => {
    const { customer, serviceId } = await syncedService('webexCloudConnect', {
      mode: 'integrated',
    });
    await upload(customer.id, serviceId, { range: { start: '+442072000000', count: 300 } });
    // The upload committed its push with it: pending first sync, R-13 set.
    expect(await syncCounts('+4420720')).toEqual({ pendingFirstSync: { n: 300, pending: 300 } });
    const refused = await t.admin('POST', '/api/v1/numbers/+442072000005/deactivate');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('PENDING_OPERATION');
    const one = await t.admin('GET', '/api/v1/numbers/+442072000005');
    expect(one.json().sync).toMatchObject({ state: 'pendingFirstSync', lastSyncedAt: null });
    const other = await syncedService('webexCloudConnect', { mode: 'nonIntegrated' });
    await upload(other.customer.id, other.serviceId, {
      range: { start: '+442072100000', count: 5 },
    });
    expect(await syncCounts('+4420721')).toEqual({ none: { n: 5, pending: 0 } });
    const stopFaults = injectFaults(webexUrl);
    await drainSync();
    await stopFaults();
    expect(await syncCounts('+4420720')).toEqual({ active: { n: 300, pending: 0 } });
    const location = webex.state.locations.get(serviceId)!;
    expect(location.numbers.size).toBe(300);
    expect([...location.numbers.values()].every((n) => n.state === 'ACTIVE')).toBe(true);
  });

  it('a worker killed by SIGKILL mid-push and restarted still ends with 10,000 active numbers, each once upstream', async () => {
    const { customer, serviceId } = await syncedService('teamsOperatorConnect');
    await putOnService(customer.id, serviceId, '+44207300', COUNT);
    const [job] = await t.db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'sync.push')
      .where('status', '=', 'queued')
      .execute();
    // Slow answers keep the push in flight long enough to kill it in the middle.
    await fetch(`${acgUrl}/_control/slow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 100_000, delayMs: 15 }),
    });
    const first = startWorker();
    for (let i = 0; i < 3000; i++) {
      if (((await syncCounts('+44207300')).active?.n ?? 0) >= 2000) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await syncCounts('+44207300');
    expect(atKill.active?.n ?? 0).toBeGreaterThanOrEqual(2000);
    expect(atKill.pendingFirstSync?.n ?? 0).toBeGreaterThan(0); // killed mid-push
    // The dead worker's lease runs out (here at once instead of after 30 s).
    await sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = ${job!.id}`.execute(
      t.db,
    );
    const second = startWorker();
    for (let i = 0; i < 3000; i++) {
      const j = await t.db
        .selectFrom('jobs')
        .select('status')
        .where('id', '=', job!.id)
        .executeTakeFirstOrThrow();
      if (j.status !== 'running' && j.status !== 'queued') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    second.child.kill('SIGTERM');
    await second.exited;
    await fetch(`${acgUrl}/_control/slow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 0, delayMs: 0 }),
    });

    const j = await t.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', job!.id)
      .executeTakeFirstOrThrow();
    expect(j.status).toBe('succeeded');
    expect(await syncCounts('+44207300')).toEqual({ active: { n: COUNT, pending: 0 } });
    const upstream = [...acg.state.numbers.keys()].filter((e) => e.startsWith('+44207300'));
    expect(new Set(upstream).size).toBe(COUNT);
    expect(upstream).toHaveLength(COUNT);
    // At least once: at most the batch in flight at the kill was written again.
    const rewrites = upstream.reduce((s, e) => s + (acg.state.writes.get(e)! - 1), 0);
    expect(rewrites).toBeLessThanOrEqual(100);
  }, 180_000);

  it('contract: every request the connectors sent conforms to the reference files', () => {
    expect(expectAllConform('acg', acg.requests, acgContract())).toBeGreaterThan(200);
    expect(expectAllConform('webex', webex.requests, webexContract())).toBeGreaterThan(3);
  });
});

function startWorker(): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], {
    env: { ...process.env, DATABASE_URL: t.url, LOG_LEVEL: 'error', ...syncEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.resume();
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}
