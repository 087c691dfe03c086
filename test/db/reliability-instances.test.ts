/**
 * Issue 7 reliability, SPEC §10 "stateless instances against one database":
 * two Numbat API instances (`numbat serve`, NUMBAT_WORKER=off) and two job
 * workers (`numbat worker`) as child processes on this test's database. Bulk
 * jobs and uploaded imports are enqueued through both instances; one worker is
 * killed with SIGKILL in the middle of a job (after at least one chunk
 * committed). Afterwards
 * every job has ended `succeeded`, none is lost, and no effect happened twice:
 * each number was allocated exactly once (one audit event), to the right
 * customer, and each imported row exists once with one import event.
 * Then an API instance is SIGKILLed while its 1,000-number bulk transaction
 * is open (seen in pg_stat_activity): all or none of the change remains, with
 * its audit events, and the other instance keeps answering.
 *
 * The lease of the killed worker's job is run out in SQL instead of waiting
 * the default 30 s: that is exactly what the passing of time does to it
 * (claimJob takes running jobs whose `locked_until` is past).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { createTokensService } from '../../src/auth/tokens.service.js';
import { createTestDb } from '../support/db.js';

const { db, url } = await createTestDb();
const boot = await createTokensService({ db }).bootstrap(null);
const token = boot!.secret;

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Resolves with the first stderr match of `re`. */
  waitFor: (re: RegExp, ms?: number) => Promise<RegExpMatchArray>;
  output: () => string;
}

const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
});

function numbat(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc: Proc = {
    child,
    exited,
    output: () => out,
    waitFor: (re, ms = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${re} in: ${out}`));
        }, ms);
        listeners.add(check);
        void exited.then(() => {
          if (!out.match(re)) {
            clearTimeout(timer);
            reject(new Error(`process exited before ${re}: ${out}`));
          }
        });
        check();
      }),
  };
  procs.push(proc);
  return proc;
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: () => JSON.parse(text) as Record<string, unknown>, text };
}

const JOBS = 6;
const PER_JOB = 4000;
const IMPORTS = 2;
const IMPORT_ROWS = 10_000;
/** London numbers +44 20 31k0 iiii for import k. */
const imported = (k: number, i: number) => `+442031${k}0${String(i).padStart(4, '0')}`;
/** Leeds drama range (0113 496 0000–0999) is too small; ranges of +44 113 49x xxxx, fictional. */
const start = (j: number) => `+4411349${j}0000`;

let api: Proc[] = [];
let bases: string[] = [];

it('two instances, two workers, one SIGKILLed mid-job: no job lost, no effect doubled', async () => {
  api = [
    numbat(['serve'], { NUMBAT_PORT: '0', NUMBAT_WORKER: 'off' }),
    numbat(['serve'], { NUMBAT_PORT: '0', NUMBAT_WORKER: 'off' }),
  ];
  const workers = [numbat(['worker']), numbat(['worker'])];
  bases = await Promise.all(
    api.map(async (p) => (await p.waitFor(/listening on (http:\/\/\S+)/))[1]!),
  );
  const workerIds = await Promise.all(
    workers.map(async (p) => (await p.waitFor(/job worker (\S+) running/))[1]!),
  );
  expect(new Set(bases).size).toBe(2);

  // Seed through both instances: a site, one customer and one range per job.
  const site = (
    await call(bases[0]!, 'POST', '/api/v1/sites', { name: 's', country: 'GB' })
  ).json();
  const jobs: { id: string; customerId: string; rangeId: string }[] = [];
  for (let j = 0; j < JOBS; j++) {
    const base = bases[j % 2]!;
    const c = await call(base, 'POST', '/api/v1/customers', {
      name: `C${j}`,
      accountName: `acct-${j}`,
    });
    expect(c.status).toBe(201);
    const r = await call(base, 'POST', '/api/v1/ranges', {
      name: `r${j}`,
      start: start(j),
      count: PER_JOB,
      siteId: site.id,
    });
    expect(r.status, r.text).toBe(201);
    jobs.push({ id: '', customerId: String(c.json().id), rangeId: String(r.json().id) });
  }
  // Enqueue: a filter-selected bulk allocation per range, alternating instances.
  for (let j = 0; j < JOBS; j++) {
    const res = await call(bases[j % 2]!, 'POST', '/api/v1/numbers/bulk/allocate', {
      filter: { rangeId: jobs[j]!.rangeId, status: ['available'] },
      holder: { type: 'customer', customerId: jobs[j]!.customerId },
    });
    expect(res.status, res.text).toBe(202);
    jobs[j]!.id = String(res.json().id);
  }
  // And two uploaded imports (≥ 10,000 rows run as jobs), one through each instance.
  const imports: string[] = [];
  for (let k = 0; k < IMPORTS; k++) {
    const lines = ['number,usage'];
    for (let i = 0; i < IMPORT_ROWS; i++) lines.push(`${imported(k, i)},user`);
    const res = await fetch(`${bases[k % 2]!}/api/v1/imports?phase=commit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: `${lines.join('\n')}\n`,
    });
    const body = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(body)).toBe(202);
    imports.push(body.id);
  }
  const allJobs = [...jobs.map((j) => j.id), ...imports];

  // Kill worker 0 once it is inside a job with at least one chunk committed.
  const victim = workerIds[0]!;
  let killedJob: string | undefined;
  const deadline = Date.now() + 60_000;
  while (!killedJob && Date.now() < deadline) {
    const row = await db
      .selectFrom('jobs')
      .select(['id', 'done', 'total'])
      .where('status', '=', 'running')
      .where('locked_by', '=', victim)
      .where('done', '>', 0)
      .executeTakeFirst();
    if (row && row.total !== null && row.done < row.total) {
      workers[0]!.child.kill('SIGKILL');
      killedJob = row.id;
    } else await new Promise((r) => setTimeout(r, 20));
  }
  expect(killedJob, 'worker 0 never got into the middle of a job').toBeDefined();
  expect(await workers[0]!.exited).toBeNull(); // killed by the signal, no exit code

  // The API keeps answering on both instances meanwhile.
  for (const base of bases) expect((await call(base, 'GET', '/readyz')).status).toBe(200);

  // Its lease runs out (fast-forwarded); the surviving worker reclaims the job.
  await db
    .updateTable('jobs')
    .set({ locked_until: new Date(Date.now() - 1000) })
    .where('locked_by', '=', victim)
    .where('status', '=', 'running')
    .execute();
  const until = Date.now() + 60_000;
  let states: { id: string; status: string; attempts: number; locked_by: string | null }[] = [];
  while (Date.now() < until) {
    states = await db
      .selectFrom('jobs')
      .select(['id', 'status', 'attempts', 'locked_by'])
      .where('id', 'in', allJobs)
      .execute();
    if (states.every((s) => !['queued', 'running'].includes(s.status))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // No job lost: every one ended, succeeded, and the killed one ran twice.
  expect(states.map((s) => s.status)).toEqual(Array(JOBS + IMPORTS).fill('succeeded'));
  const killed = states.find((s) => s.id === killedJob)!;
  expect(killed.attempts).toBe(2);
  expect(killed.locked_by === null || killed.locked_by === workerIds[1]).toBe(true);
  // The job's status is also what the API reports, through either instance.
  const viaApi = await call(bases[1]!, 'GET', `/api/v1/jobs/${killedJob}`);
  expect(viaApi.json().status).toBe('succeeded');

  // No effect doubled: every number reserved by its job's customer, exactly
  // one allocate event per number.
  const counts = await sql<{ range_id: string; customer_id: string | null; n: number }>`
    SELECT range_id, customer_id, count(*)::int AS n FROM numbers
    WHERE range_id = ANY(${jobs.map((j) => j.rangeId)}::uuid[])
    GROUP BY 1, 2`.execute(db);
  expect(counts.rows).toHaveLength(JOBS);
  for (const j of jobs) {
    expect(counts.rows.find((r) => r.range_id === j.rangeId)).toEqual({
      range_id: j.rangeId,
      customer_id: j.customerId,
      n: PER_JOB,
    });
  }
  const events = await sql<{ numbers: number; events: number }>`
    SELECT count(DISTINCT object_id)::int AS numbers, count(*)::int AS events FROM audit_events
    WHERE action = 'number.allocate' AND object_id LIKE '+441134%'`.execute(db);
  expect(events.rows[0]).toEqual({ numbers: JOBS * PER_JOB, events: JOBS * PER_JOB });
  // Each imported row exists once, linked to exactly one import event.
  const imp = await sql<{ numbers: number; events: number }>`
    SELECT (SELECT count(*) FROM numbers WHERE e164 LIKE '+442031%')::int AS numbers,
           (SELECT count(*) FROM import_numbers l JOIN audit_events a
              ON a.id = l.event_id AND a.action = 'import.commit'
              WHERE l.e164 LIKE '+442031%')::int AS events`.execute(db);
  expect(imp.rows[0]).toEqual({ numbers: IMPORTS * IMPORT_ROWS, events: IMPORTS * IMPORT_ROWS });
}, 120_000);

it('an API instance SIGKILLed inside a 1,000-number transaction leaves all or none of it', async () => {
  const site = (
    await call(bases[0]!, 'POST', '/api/v1/sites', { name: 's2', country: 'GB' })
  ).json();
  const c = (
    await call(bases[0]!, 'POST', '/api/v1/customers', { name: 'K', accountName: 'acct-k' })
  ).json();
  const range = await call(bases[0]!, 'POST', '/api/v1/ranges', {
    name: 'r-kill',
    start: '+441134980000',
    count: 5000,
    siteId: site.id,
  });
  expect(range.status, range.text).toBe(201);
  const inTransaction = async () =>
    (
      await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND backend_xid IS NOT NULL`.execute(db)
    ).rows[0]!.n;

  let caught = 0;
  for (let attempt = 0; attempt < 5 && caught === 0; attempt++) {
    // The first attempt uses the second instance of the test above; later
    // ones (only if the request outran the kill) a fresh instance.
    const target =
      attempt === 0 ? api[1]! : numbat(['serve'], { NUMBAT_PORT: '0', NUMBAT_WORKER: 'off' });
    const base =
      attempt === 0 ? bases[1]! : (await target.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const list = Array.from(
      { length: 1000 },
      (_, i) => `+44113498${String(attempt * 1000 + i).padStart(4, '0')}`,
    );
    let settled = false;
    const request = call(base, 'POST', '/api/v1/numbers/bulk/allocate', {
      numbers: list,
      holder: { type: 'customer', customerId: c.id },
    })
      .catch(() => null) // the connection dies with the process
      .finally(() => {
        settled = true;
      });
    while (!settled) {
      if ((await inTransaction()) > 0) {
        target.child.kill('SIGKILL');
        caught++;
        break;
      }
    }
    await request;
    if (caught) expect(await target.exited).toBeNull();
    // PostgreSQL aborts the dead client's transaction once it notices.
    for (let i = 0; i < 500 && (await inTransaction()) > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const held = await sql<{ numbers: number; events: number }>`
      SELECT (SELECT count(*) FROM numbers WHERE e164 = ANY(${list}) AND customer_id = ${c.id})::int
               AS numbers,
             (SELECT count(*) FROM audit_events WHERE action = 'number.allocate'
                AND object_id = ANY(${list}))::int AS events`.execute(db);
    // All or nothing, and the audit events with it.
    expect([0, 1000]).toContain(held.rows[0]!.numbers);
    expect(held.rows[0]!.events).toBe(held.rows[0]!.numbers);
  }
  expect(caught, 'no attempt caught the request inside its transaction').toBe(1);
  // The surviving instance still answers.
  expect((await call(bases[0]!, 'GET', '/readyz')).status).toBe(200);
}, 90_000);
