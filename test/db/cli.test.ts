/** The `numbat` CLI against a real database: migrate, tokens create, range add. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { hashToken } from '../../src/auth/tokens.js';
import { createTestDb } from '../support/db.js';

const run = promisify(execFile);
const { db, url } = await createTestDb();

async function numbat(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: { ...process.env, DATABASE_URL: url },
  });
}

it('migrate reports an up-to-date database', async () => {
  const r = await numbat('migrate');
  expect(r.stderr).toContain('database is up to date');
});

it('tokens create prints a secret that is stored hashed with its permissions', async () => {
  const r = await numbat('tokens', 'create', '--name', 'bss', '--permissions', 'read,write');
  const secret = r.stdout.trim();
  expect(secret).toMatch(/^nbt_/);
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', hashToken(secret))
    .executeTakeFirstOrThrow();
  expect(row).toMatchObject({ name: 'bss', permissions: ['read', 'write'], scope: 'operator' });
});

it('range add creates the range and its numbers; a bad range exits 1 with the reason', async () => {
  const r = await numbat(
    'range',
    'add',
    '--name',
    'leeds-1',
    '--start',
    '0113 496 0000',
    '--country',
    'GB',
    '--count',
    '100',
  );
  expect(JSON.parse(r.stdout)).toMatchObject({
    name: 'leeds-1',
    start: '+441134960000',
    end: '+441134960099',
  });
  const count = await db
    .selectFrom('numbers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  expect(Number(count.n)).toBe(100);
  const bad = numbat(
    'range',
    'add',
    '--name',
    'x',
    '--start',
    '+441134960200',
    '--end',
    '+441134960100',
  );
  await expect(bad).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringContaining('INVALID_RANGE'),
  });
});
