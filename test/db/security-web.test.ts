/**
 * Issue 7 (OWASP API8, security misconfiguration; API2, broken
 * authentication): security headers on API and portal answers, secrets never
 * in the logs, and the portal session's defences — a new session id at every
 * sign-in (no fixation), sign-out ends it on the server, CSRF token on every
 * change made with the cookie, none needed with a Bearer token.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createTokensService } from '../../src/auth/tokens.service.js';
import { API_CSP } from '../../src/http/security-headers.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTestDb } from '../support/db.js';

const PASSWORD = 'correct horse battery staple 7';
let seq = 0;
const email = () => `web-${process.pid}-${++seq}@security.example`;

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

async function addUser(permissions = ['read', 'write']) {
  const address = email();
  const res = await t.admin('POST', '/api/v1/users', {
    email: address,
    name: 'Web User',
    password: PASSWORD,
    permissions,
    scope: 'operator',
  });
  expect(res.statusCode).toBe(201);
  return address;
}

const signIn = (address: string, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    headers,
    payload: { email: address, password: PASSWORD },
  });

const cookieOf = (res: LightMyRequestResponse) =>
  res.cookies.find((c) => c.name === 'numbat_session')?.value;

function ui(
  secret: string,
  method: InjectOptions['method'],
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method,
    url,
    headers: { cookie: `numbat_session=${secret}`, ...headers },
    ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
  });
}

const audits = async () =>
  Number(
    (
      await t.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('security headers', () => {
  const expectHardened = (res: LightMyRequestResponse) => {
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  };

  it('on API answers: JSON, problem+json, 404, CSV', async () => {
    const answers = [
      await t.admin('GET', '/api/v1/customers'),
      await t.app.inject({ method: 'GET', url: '/api/v1/customers' }),
      await t.admin('GET', '/api/v1/no-such-thing'),
      await t.admin('GET', '/api/v1/exports/numbers.csv'),
      await t.app.inject({ method: 'GET', url: '/healthz' }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([200, 401, 404, 200, 200]);
    for (const res of answers) {
      expectHardened(res);
      expect(res.headers['content-security-policy']).toBe(API_CSP);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('on the portal: its own CSP that lets the SPA run its scripts and styles, no framing', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/numbers' });
    expect([200, 503]).toContain(res.statusCode); // 503 while portal/dist is not built
    expectHardened(res);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
    expect(res.headers['referrer-policy']).toBe('same-origin');
  });

  it('HSTS: not on plain http by default; always when NUMBAT_HSTS=on', async () => {
    expect((await t.admin('GET', '/api/v1/customers')).headers['strict-transport-security']).toBe(
      undefined,
    );
    const tdb = await createTestDb();
    const app = await buildApp({
      db: tdb.db,
      pool: tdb.pool,
      config: { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'silent', hsts: 'on' },
      logger: false,
    });
    afterAll(() => app.close());
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=31536000/);
  });
});

describe('secrets never reach the logs', () => {
  it('tokens, passwords, session cookies and CSRF tokens appear in no log line', async () => {
    const lines: string[] = [];
    const tdb = await createTestDb();
    const app = await buildApp({
      db: tdb.db,
      pool: tdb.pool,
      config: { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'trace' },
      logStream: { write: (line: string) => void lines.push(line) },
    });
    await app.ready();
    afterAll(() => app.close());
    const admin = (await createTokensService({ db: tdb.db }).bootstrap(null))!.secret;
    const bearer = (method: InjectOptions['method'], url: string, payload?: unknown) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${admin}` },
        ...(payload !== undefined ? { payload: payload as InjectOptions['payload'] } : {}),
      });

    const made = await bearer('POST', '/api/v1/tokens', {
      name: 'logged?',
      permissions: ['read'],
      scope: 'operator',
    });
    const newToken = made.json().token as string;
    const address = email();
    await bearer('POST', '/api/v1/users', {
      email: address,
      name: 'Log',
      password: PASSWORD,
      permissions: ['read', 'write'],
      scope: 'operator',
    });
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: address, password: 'a wrong password 123' },
    });
    expect(wrong.statusCode).toBe(401);
    const signed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: address, password: PASSWORD },
    });
    const secret = cookieOf(signed)!;
    const csrf = signed.json().csrfToken as string;
    const newPassword = 'another long password 8';
    const changed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { cookie: `numbat_session=${secret}`, 'x-csrf-token': csrf },
      payload: { currentPassword: PASSWORD, newPassword },
    });
    expect(changed.statusCode).toBe(204);
    await app.inject({
      method: 'GET',
      url: '/api/v1/numbers',
      headers: { authorization: `Bearer ${newToken}`, cookie: `numbat_session=${secret}` },
    });
    // A careless log line of headers or a body is blanked too.
    app.log.info(
      {
        req: { headers: { authorization: `Bearer ${admin}`, cookie: `numbat_session=${secret}` } },
        body: { password: PASSWORD, token: newToken },
      },
      'careless',
    );

    const text = lines.join('');
    expect(text).toContain('/api/v1/auth/sign-in'); // the requests were logged
    expect(text).toContain('careless');
    expect(text).toContain('[Redacted]');
    for (const secretValue of [admin, newToken, PASSWORD, newPassword, secret, csrf])
      expect(text).not.toContain(secretValue);
  });
});

describe('portal sessions', () => {
  it('sign-in issues a fresh session id: a cookie planted beforehand is not adopted', async () => {
    const address = await addUser();
    const planted = 'attacker-chosen-session-id-0123456789abcdef';
    const res = await signIn(address, { cookie: `numbat_session=${planted}` });
    expect(res.statusCode).toBe(200);
    const issued = cookieOf(res)!;
    expect(issued).toBeDefined();
    expect(issued).not.toBe(planted);
    expect(issued.length).toBeGreaterThanOrEqual(40);
    expect((await ui(planted, 'GET', '/api/v1/auth/me')).statusCode).toBe(401);
    expect((await ui(issued, 'GET', '/api/v1/auth/me')).statusCode).toBe(200);
    // Signing in again, even from a live session, gives yet another id.
    const again = await signIn(address, { cookie: `numbat_session=${issued}` });
    expect(cookieOf(again)).not.toBe(issued);
  });

  it('the cookie is HttpOnly, SameSite=Strict, path /', async () => {
    const res = await signIn(await addUser());
    const c = res.cookies.find((x) => x.name === 'numbat_session')!;
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
  });

  it('sign-out ends the session on the server: the old cookie, replayed, is refused', async () => {
    const res = await signIn(await addUser());
    const secret = cookieOf(res)!;
    const csrf = res.json().csrfToken as string;
    const out = await ui(secret, 'POST', '/api/v1/auth/sign-out', undefined, {
      'x-csrf-token': csrf,
    });
    expect(out.statusCode).toBe(204);
    const replay = await ui(secret, 'GET', '/api/v1/auth/me');
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('UNAUTHENTICATED');
  });

  it('a change with the cookie and no, a wrong, or another session’s CSRF token → 403; nothing changes', async () => {
    const a = await signIn(await addUser());
    const b = await signIn(await addUser());
    const secret = cookieOf(a)!;
    const before = await audits();
    const body = { name: 'CSRF Ltd', accountName: `csrf-${process.pid}` };
    const attempts: Record<string, string>[] = [
      {},
      { 'x-csrf-token': 'not-the-token' },
      { 'x-csrf-token': b.json().csrfToken as string },
      { 'x-csrf-token': '' },
    ];
    for (const headers of attempts) {
      const res = await ui(secret, 'POST', '/api/v1/customers', body, headers);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('CSRF_TOKEN_INVALID');
    }
    expect(await audits()).toBe(before);
    const list = await t.admin('GET', `/api/v1/customers?q=csrf-${process.pid}`);
    expect(list.json().items).toEqual([]);
    const ok = await ui(secret, 'POST', '/api/v1/customers', body, {
      'x-csrf-token': a.json().csrfToken as string,
    });
    expect(ok.statusCode).toBe(201);
  });

  it('a Bearer request needs no CSRF token', async () => {
    const token = await t.token(['read', 'write']);
    const res = await t.call(token, 'POST', '/api/v1/customers', {
      name: 'Bearer Ltd',
      accountName: `bearer-${process.pid}`,
    });
    expect(res.statusCode).toBe(201);
  });

  it('sign-in takes JSON only: a cross-site form post cannot sign anyone in (login CSRF)', async () => {
    const address = await addUser();
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        headers: { 'content-type': type },
        payload:
          type === 'application/x-www-form-urlencoded'
            ? `email=${encodeURIComponent(address)}&password=${encodeURIComponent(PASSWORD)}`
            : JSON.stringify({ email: address, password: PASSWORD }),
      });
      // 415 for forms; text/plain parses as a string the body schema refuses.
      expect([400, 415], type).toContain(res.statusCode);
      expect(res.json().code).not.toBe('UNAUTHENTICATED'); // the password was never checked
      expect(cookieOf(res)).toBeUndefined();
    }
  });
});
