/**
 * Portal users: passwords stored as scrypt hashes, sessions in an
 * HttpOnly SameSite=Strict cookie, CSRF tokens on every cookie-authenticated
 * change, audit source `ui`, customer admins confined to their customer.
 */
import { execFile } from 'node:child_process';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/users/passwords.js';
import { hashSessionSecret } from '../../src/users/sessions.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let mine: { id: string };
let theirs: { id: string };
const n = (i: number) => `+44113497${String(i).padStart(4, '0')}`;
const numberUrl = (e164: string, suffix = '') =>
  `/api/v1/numbers/${encodeURIComponent(e164)}${suffix}`;
let seq = 0;
const email = (p = 'user') => `${p}.${process.pid}.${++seq}@example.test`;
const PASSWORD = 'correct horse battery';

interface Session {
  cookie: string;
  csrf: string;
  secret: string;
  res: LightMyRequestResponse;
}

async function addUser(fields: Record<string, unknown> = {}) {
  const res = await t.admin('POST', '/api/v1/users', {
    email: email(),
    name: 'Operator Olive',
    password: PASSWORD,
    permissions: ['read', 'write'],
    scope: 'operator',
    ...fields,
  });
  if (res.statusCode !== 201) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json<{ id: string; email: string; etag: string }>();
}

async function signIn(address: string, password = PASSWORD): Promise<Session> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    payload: { email: address, password },
  });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  const c = res.cookies.find((x) => x.name === 'numbat_session')!;
  return { cookie: `numbat_session=${c.value}`, csrf: res.json().csrfToken, secret: c.value, res };
}

/** A request as the portal sends it: cookie, and the CSRF token unless told otherwise. */
function ui(
  s: Session,
  method: InjectOptions['method'],
  url: string,
  body?: unknown,
  headers: Record<string, string> = { 'x-csrf-token': s.csrf },
) {
  return t.app.inject({
    method,
    url,
    headers: { cookie: s.cookie, ...headers },
    ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
  });
}

beforeAll(async () => {
  t = await createTestApp();
  mine = await t.customer();
  theirs = await t.customer();
  await t.range({ start: n(0), count: 50 });
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(1), n(2)],
    holder: { type: 'customer', customerId: mine.id },
  });
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(3)],
    holder: { type: 'customer', customerId: theirs.id },
  });
});

describe('users and passwords (R-1)', () => {
  it('stores only an scrypt hash of the password and never answers with it', async () => {
    const u = await addUser();
    const row = await t.db
      .selectFrom('users')
      .select(['password_hash', 'email'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, row.password_hash)).toBe(true);
    expect(await verifyPassword('wrong password!', row.password_hash)).toBe(false);
    const list = await t.admin('GET', '/api/v1/users');
    expect(list.body).not.toContain('scrypt');
    expect(list.json().items.map((x: { id: string }) => x.id)).toContain(u.id);
  });

  it('refuses a short password and a duplicate e-mail (any case) and writes nothing', async () => {
    const short = await t.admin('POST', '/api/v1/users', {
      email: email(),
      name: 'x',
      password: 'short',
      permissions: ['read'],
      scope: 'operator',
    });
    expect(short.statusCode).toBe(400);
    expect(short.json().errors[0]).toEqual({
      field: 'password',
      message: 'at least 10 characters',
    });
    const u = await addUser();
    const dup = await t.admin('POST', '/api/v1/users', {
      email: u.email.toUpperCase(),
      name: 'Again',
      password: PASSWORD,
      permissions: ['read'],
      scope: 'operator',
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('ALREADY_EXISTS');
    const count = await t.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('email', '=', u.email)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('records the creation in the audit log', async () => {
    const u = await addUser();
    const ev = await t.db
      .selectFrom('audit_events')
      .selectAll()
      .where('object_type', '=', 'user')
      .where('object_id', '=', u.id)
      .where('action', '=', 'user.create')
      .executeTakeFirstOrThrow();
    expect(ev.changes).toMatchObject({ email: [null, u.email] });
    expect(JSON.stringify(ev.changes)).not.toContain(PASSWORD);
  });
});

describe('sign-in and sessions', () => {
  it('sets an HttpOnly SameSite=Strict cookie and stores only its hash', async () => {
    const u = await addUser();
    const s = await signIn(u.email.toUpperCase());
    const c = s.res.cookies.find((x) => x.name === 'numbat_session')!;
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(s.res.json()).toMatchObject({ id: `user:${u.id}`, email: u.email, scope: 'operator' });
    const rows = await t.db
      .selectFrom('user_sessions')
      .select('id_hash')
      .where('user_id', '=', u.id)
      .execute();
    expect(rows.map((r) => r.id_hash)).toEqual([hashSessionSecret(s.secret)]);
    const me = await ui(s, 'GET', '/api/v1/auth/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: `user:${u.id}`, csrfToken: s.csrf });
  });

  it('answers a wrong password and an unknown e-mail alike (401) and opens no session', async () => {
    const u = await addUser();
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: u.email, password: 'not the password' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: 'nobody@example.test', password: PASSWORD },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
    expect(wrong.cookies).toHaveLength(0);
    const sessions = await t.db
      .selectFrom('user_sessions')
      .select('id_hash')
      .where('user_id', '=', u.id)
      .execute();
    expect(sessions).toHaveLength(0);
  });

  it('blocks an account for a minute after five wrong passwords in a row (429)', async () => {
    const u = await addUser();
    for (let i = 0; i < 5; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        payload: { email: u.email, password: `wrong password ${i}` },
      });
      expect(r.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: u.email, password: PASSWORD },
    });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBe(60);
    t.clock.now = new Date(t.clock.now.getTime() + 61_000);
    const s = await signIn(u.email);
    expect(s.res.statusCode).toBe(200);
    const row = await t.db
      .selectFrom('users')
      .select(['failed_sign_ins', 'sign_in_blocked_until'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ failed_sign_ins: 0, sign_in_blocked_until: null });
  });

  it('sign-out ends the session: the cookie no longer authenticates', async () => {
    const u = await addUser();
    const s = await signIn(u.email);
    const out = await ui(s, 'POST', '/api/v1/auth/sign-out');
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === 'numbat_session')?.value).toBe('');
    expect((await ui(s, 'GET', '/api/v1/numbers?limit=1')).statusCode).toBe(401);
    const left = await t.db
      .selectFrom('user_sessions')
      .select('id_hash')
      .where('id_hash', '=', hashSessionSecret(s.secret))
      .execute();
    expect(left).toHaveLength(0);
  });

  it('an expired session answers 401 with a reason', async () => {
    const u = await addUser();
    const s = await signIn(u.email);
    await t.db
      .updateTable('user_sessions')
      .set({ expires_at: new Date(Date.now() - 1000), created_at: new Date(Date.now() - 5000) })
      .where('id_hash', '=', hashSessionSecret(s.secret))
      .execute();
    const res = await ui(s, 'GET', '/api/v1/numbers?limit=1');
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toContain('session has ended');
  });

  it('changing a password ends the other sessions; the old password stops working', async () => {
    const u = await addUser();
    const a = await signIn(u.email);
    const b = await signIn(u.email);
    const bad = await ui(a, 'POST', '/api/v1/auth/password', {
      currentPassword: 'not my password',
      newPassword: 'a brand new secret',
    });
    expect(bad.statusCode).toBe(400);
    const ok = await ui(a, 'POST', '/api/v1/auth/password', {
      currentPassword: PASSWORD,
      newPassword: 'a brand new secret',
    });
    expect(ok.statusCode).toBe(204);
    expect((await ui(a, 'GET', '/api/v1/auth/me')).statusCode).toBe(200);
    expect((await ui(b, 'GET', '/api/v1/auth/me')).statusCode).toBe(401);
    await expect(signIn(u.email)).rejects.toThrow(/401/);
    expect((await signIn(u.email, 'a brand new secret')).res.statusCode).toBe(200);
  });

  it('disabling a user (by an admin) ends its sessions at once', async () => {
    const u = await addUser();
    const s = await signIn(u.email);
    const res = await t.admin('PATCH', `/api/v1/users/${u.id}`, { disabled: true });
    expect(res.statusCode).toBe(200);
    expect(res.json().disabled).toBe(true);
    expect((await ui(s, 'GET', '/api/v1/numbers?limit=1')).statusCode).toBe(401);
    await expect(signIn(u.email)).rejects.toThrow(/401/);
  });

  it('an admin cannot disable itself or drop its own admin permission (409)', async () => {
    const u = await addUser({ permissions: ['admin'] });
    const s = await signIn(u.email);
    const res = await ui(s, 'PATCH', `/api/v1/users/${u.id}`, { disabled: true });
    expect(res.statusCode).toBe(409);
    const res2 = await ui(s, 'PATCH', `/api/v1/users/${u.id}`, { permissions: ['read'] });
    expect(res2.statusCode).toBe(409);
    const row = await t.db
      .selectFrom('users')
      .select(['disabled', 'permissions'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ disabled: false, permissions: ['read', 'write', 'delete', 'admin'] });
  });
});

describe('CSRF protection for cookie-authenticated changes', () => {
  it('refuses a change without the X-CSRF-Token header, and with a wrong one; nothing changes', async () => {
    const u = await addUser();
    const s = await signIn(u.email);
    const none = await ui(s, 'POST', numberUrl(n(10), '/lock'), { reason: 'csrf' }, {});
    expect(none.statusCode).toBe(403);
    expect(none.json().code).toBe('CSRF_TOKEN_INVALID');
    const wrong = await ui(
      s,
      'POST',
      numberUrl(n(10), '/lock'),
      { reason: 'csrf' },
      { 'x-csrf-token': 'x'.repeat(43) },
    );
    expect(wrong.statusCode).toBe(403);
    expect((await t.admin('GET', numberUrl(n(10)))).json().locked).toBe(false);
    // A token of another session is wrong too.
    const other = await signIn(u.email);
    const crossed = await ui(
      s,
      'POST',
      numberUrl(n(10), '/lock'),
      { reason: 'csrf' },
      { 'x-csrf-token': other.csrf },
    );
    expect(crossed.statusCode).toBe(403);
  });

  it('accepts the right token; the change is audited with source ui and the user', async () => {
    const u = await addUser();
    const s = await signIn(u.email);
    const res = await ui(s, 'POST', numberUrl(n(11), '/lock'), { reason: 'from the portal' });
    expect(res.statusCode).toBe(200);
    expect(res.json().locked).toBe(true);
    const ev = await t.db
      .selectFrom('audit_events')
      .selectAll()
      .where('object_id', '=', n(11))
      .where('action', '=', 'number.lock')
      .executeTakeFirstOrThrow();
    expect(ev).toMatchObject({
      source: 'ui',
      principal_id: `user:${u.id}`,
      principal_name: u.email,
    });
  });

  it('reads need no CSRF token', async () => {
    const u = await addUser();
    const s = await signIn(u.email);
    expect((await ui(s, 'GET', '/api/v1/numbers?limit=1', undefined, {})).statusCode).toBe(200);
  });

  it('a Bearer token still works as before: no CSRF token, source api, even beside a cookie', async () => {
    const u = await addUser();
    const s = await signIn(u.email);
    const res = await t.app.inject({
      method: 'POST',
      url: numberUrl(n(12), '/lock'),
      headers: { authorization: `Bearer ${t.adminToken}`, cookie: s.cookie },
      payload: { reason: 'bss' },
    });
    expect(res.statusCode).toBe(200);
    const ev = await t.db
      .selectFrom('audit_events')
      .selectAll()
      .where('object_id', '=', n(12))
      .where('action', '=', 'number.lock')
      .executeTakeFirstOrThrow();
    expect(ev.source).toBe('api');
    expect(ev.principal_id).toMatch(/^token:/);
  });
});

describe('permissions and scope of users (R-1)', () => {
  it('a read-only user can read but not change (403), and nothing changes', async () => {
    const u = await addUser({ permissions: ['read'] });
    const s = await signIn(u.email);
    expect((await ui(s, 'GET', numberUrl(n(13)))).statusCode).toBe(200);
    const res = await ui(s, 'POST', numberUrl(n(13), '/lock'), { reason: 'x' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN');
    expect((await t.admin('GET', numberUrl(n(13)))).json().locked).toBe(false);
    expect((await ui(s, 'GET', '/api/v1/users')).statusCode).toBe(403);
  });

  it("a customer admin sees only its customer's numbers; others are 404", async () => {
    const u = await addUser({ permissions: ['admin'], scope: `customer:${mine.id}` });
    const s = await signIn(u.email);
    expect(s.res.json().customer).toMatchObject({ id: mine.id });
    const list = await ui(s, 'GET', '/api/v1/numbers?limit=100');
    expect(list.json().items.map((x: { e164: string }) => x.e164)).toEqual([n(1), n(2)]);
    expect((await ui(s, 'GET', numberUrl(n(3)))).statusCode).toBe(404);
    expect((await ui(s, 'GET', numberUrl(n(20)))).statusCode).toBe(404);
  });

  it('a customer admin manages only its own users: operator scope 403, others 404', async () => {
    const adminOfMine = await addUser({ permissions: ['admin'], scope: `customer:${mine.id}` });
    const userOfTheirs = await addUser({ scope: `customer:${theirs.id}` });
    const s = await signIn(adminOfMine.email);
    const op = await ui(s, 'POST', '/api/v1/users', {
      email: email(),
      name: 'Sneaky',
      password: PASSWORD,
      permissions: ['admin'],
      scope: 'operator',
    });
    expect(op.statusCode).toBe(403);
    const created = await ui(s, 'POST', '/api/v1/users', {
      email: email(),
      name: 'Colleague',
      password: PASSWORD,
      permissions: ['read'],
      scope: `customer:${mine.id}`,
    });
    expect(created.statusCode).toBe(201);
    expect((await ui(s, 'GET', `/api/v1/users/${userOfTheirs.id}`)).statusCode).toBe(404);
    expect(
      (await ui(s, 'PATCH', `/api/v1/users/${userOfTheirs.id}`, { disabled: true })).statusCode,
    ).toBe(404);
    const listed = (await ui(s, 'GET', '/api/v1/users')).json().items as { scope: string }[];
    expect(listed.length).toBeGreaterThanOrEqual(2);
    expect(listed.every((x) => x.scope === `customer:${mine.id}`)).toBe(true);
    const row = await t.db
      .selectFrom('users')
      .select('disabled')
      .where('id', '=', userOfTheirs.id)
      .executeTakeFirstOrThrow();
    expect(row.disabled).toBe(false);
  });

  it('lowering a user’s permissions ends its sessions (no stale rights)', async () => {
    const u = await addUser({ permissions: ['admin'] });
    const s = await signIn(u.email);
    const res = await t.admin(
      'PATCH',
      `/api/v1/users/${u.id}`,
      { permissions: ['read'] },
      {
        'if-match': u.etag,
      },
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().permissions).toEqual(['read']);
    expect((await ui(s, 'GET', '/api/v1/users')).statusCode).toBe(401);
    const stale = await t.admin(
      'PATCH',
      `/api/v1/users/${u.id}`,
      { name: 'x' },
      {
        'if-match': u.etag,
      },
    );
    expect(stale.statusCode).toBe(412);
  });

  it('deleting a user removes its sessions and audits it', async () => {
    const u = await addUser();
    const s = await signIn(u.email);
    expect((await t.admin('DELETE', `/api/v1/users/${u.id}`)).statusCode).toBe(204);
    expect((await ui(s, 'GET', '/api/v1/auth/me')).statusCode).toBe(401);
    expect((await t.admin('GET', `/api/v1/users/${u.id}`)).statusCode).toBe(404);
    const ev = await t.db
      .selectFrom('audit_events')
      .select('action')
      .where('object_id', '=', u.id)
      .where('action', '=', 'user.delete')
      .executeTakeFirst();
    expect(ev).toBeDefined();
  });
});

describe('numbat users add', () => {
  const cli = (args: string[], input?: string) =>
    new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', ...args],
        { env: { ...process.env, DATABASE_URL: t.url } },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr }),
      );
      child.stdin!.end(input ?? '');
    });

  it('creates a user with a generated password it prints once, or one read from stdin', async () => {
    const address = email('cli');
    const r = await cli([
      'users',
      'add',
      '--email',
      address,
      '--name',
      'Cli User',
      '--permissions',
      'read,write',
    ]);
    const password = r.stdout.trim();
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect((await signIn(address, password)).res.json()).toMatchObject({
      email: address,
      permissions: ['read', 'write'],
    });
    const second = email('cli');
    const r2 = await cli(
      ['users', 'add', '--email', second, '--name', 'Piped', '--password-stdin'],
      'piped password 123\n',
    );
    expect(r2.stdout).toBe('');
    expect((await signIn(second, 'piped password 123')).res.statusCode).toBe(200);
  });
});
