/**
 * R-50: a SIGKILL of the importing process at any moment leaves none or all of
 * the import's rows, and running the same import again completes with exactly
 * the file's rows. The import runs as `numbat import FILE` in a child process
 * against this test's database and is killed at random points: some at a
 * random time after start (reading, staging, checking), some at a random time
 * after the merge began (the one transaction that writes the rows).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { createServices } from '../../src/app.js';
import { createJobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { createTestDb } from '../support/db.js';

const { db, url, pool } = await createTestDb();
const ROWS = 20_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'numbat-crash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'import.csv');
{
  const lines = ['number,usage,serviceInfo'];
  for (let i = 0; i < ROWS; i++) lines.push(`+442033${String(i).padStart(6, '0')},user,row ${i}`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** A small seeded PRNG: the delays are random but a failure can be replayed from the seed. */
const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
let state = seed;
const random = () => {
  state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
  return state / 2 ** 31;
};

function startImport(): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'import', file], {
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.resume();
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

async function imported(): Promise<{ numbers: number; events: number; commits: number }> {
  const r = await sql<{ numbers: number; events: number; commits: number }>`
    SELECT (SELECT count(*) FROM numbers WHERE e164 LIKE '+442033%')::int AS numbers,
           (SELECT count(*) FROM import_numbers l JOIN audit_events a
              ON a.id = l.event_id AND a.action = 'import.commit'
              WHERE l.e164 LIKE '+442033%')::int AS events,
           (SELECT count(*) FROM import_commits)::int AS commits`.execute(db);
  return r.rows[0]!;
}

async function waitForNote(note: string, since: Date, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const row = await db
      .selectFrom('jobs')
      .select('progress_note')
      .where('kind', '=', 'import')
      .where('created_at', '>=', since)
      .where('progress_note', '=', note)
      .executeTakeFirst();
    if (row) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

it(`R-50 SIGKILL at random points leaves none or all rows; the rerun imports exactly the file (seed ${seed})`, async () => {
  const outcomes: string[] = [];
  // One uninterrupted run first: how long a whole import and its merge take on
  // this machine now, so the kill points fall inside the run however fast or
  // loaded the machine is.
  const refSince = new Date(Date.now() - 1000);
  const refStart = Date.now();
  const ref = startImport();
  await waitForNote('merging', refSince, 60_000);
  const mergeStart = Date.now();
  expect(await ref.exited).toBe(0);
  const whole = Date.now() - refStart;
  const merge = Date.now() - mergeStart;
  expect((await imported()).numbers).toBe(ROWS);
  await db.deleteFrom('numbers').where('e164', 'like', '+442033%').execute();
  await db.deleteFrom('import_commits').execute();
  let eventsBefore = (await imported()).events;
  for (let i = 0; i < 6; i++) {
    const since = new Date(Date.now() - 1000);
    const { child, exited } = startImport();
    if (i % 2 === 0) {
      // Anywhere from start-up to the end of the run.
      await new Promise((r) => setTimeout(r, random() * whole * 0.95));
    } else {
      // Inside the merge's transaction (or just after it commits).
      await waitForNote('merging', since, 60_000);
      await new Promise((r) => setTimeout(r, random() * merge * 0.9));
    }
    const killed = child.kill('SIGKILL');
    const code = await exited;
    const after = await imported();
    // None or all, and each number's link to the import's audit event and the marker with them.
    expect([0, ROWS]).toContain(after.numbers);
    expect(after.events - eventsBefore).toBe(after.numbers);
    expect(after.commits).toBe(after.numbers === ROWS ? 1 : 0);
    outcomes.push(`${killed && code === null ? 'killed' : `exit ${code}`}: ${after.numbers}`);
    if (after.numbers === ROWS) {
      // Committed before the kill: start the next round from an empty inventory.
      await db.deleteFrom('numbers').where('e164', 'like', '+442033%').execute();
      await db.deleteFrom('import_commits').execute();
      eventsBefore = after.events;
    }
  }
  if (process.env.CRASH_VERBOSE) console.error(outcomes);
  // At least one kill must have hit a running import, or the test proved nothing.
  expect(outcomes.filter((o) => o.startsWith('killed')).length).toBeGreaterThan(0);

  // The rerun completes with exactly the file's rows…
  const { exited } = startImport();
  expect(await exited).toBe(0);
  const final = await imported();
  expect(final.numbers).toBe(ROWS);
  expect(final.events - eventsBefore).toBe(ROWS);
  // …and running it once more changes nothing (idempotent).
  const again = startImport();
  expect(await again.exited).toBe(0);
  expect((await imported()).numbers).toBe(ROWS);

  // The killed runs' jobs are not silently lost: once their lease runs out a
  // worker ends them `failed` with the reason.
  await db
    .updateTable('jobs')
    .set({ locked_until: new Date(Date.now() - 1000) })
    .where('status', '=', 'running')
    .execute();
  const services = createServices(
    db,
    { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'silent' },
    () => new Date(),
  );
  await createWorker({
    db,
    handlers: createJobHandlers({ db, pool, numbers: services.numbers, now: () => new Date() }),
  }).drain();
  const stuck = await db
    .selectFrom('jobs')
    .select(['status', 'error'])
    .where('kind', '=', 'import')
    .where('status', 'in', ['queued', 'running'])
    .execute();
  expect(stuck).toEqual([]);
  const failed = await db
    .selectFrom('jobs')
    .select('error')
    .where('kind', '=', 'import')
    .where('status', '=', 'failed')
    .execute();
  for (const f of failed) expect(f.error).toMatch(/stopped|abandoned/);
}, 180_000);
