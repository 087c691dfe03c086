/** Serving the portal: files, the SPA fallback, and API paths that stay API 404s. */
import Fastify from 'fastify';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { portalRoutes } from '../../src/portal/portal.routes.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'numbat-portal-'));
const app = Fastify({ logger: false });

beforeAll(async () => {
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>spa</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ code: 'NOT_FOUND' }));
  await app.register(portalRoutes, { dir });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('answers every page path with index.html, revalidated, under a strict CSP', async () => {
  for (const url of ['/', '/numbers', '/numbers/%2B441134960000?status=active', '/sites/abc']) {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode, url).toBe(200);
    expect(res.body).toContain('<title>spa</title>');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-frame-options']).toBe('DENY');
  }
});

it('serves hashed assets cacheable for a year', async () => {
  const res = await app.inject({ method: 'GET', url: '/assets/app-1234.js' });
  expect(res.statusCode).toBe(200);
  expect(res.body).toBe('console.log(1)');
  expect(res.headers['cache-control']).toContain('immutable');
});

it('never answers an API path, a missing file or a path outside the build with the SPA', async () => {
  for (const url of [
    '/api/v1/nope',
    '/api',
    '/assets/old-bundle.js',
    '/favicon.ico',
    '/../package.json',
  ]) {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode, url).toBe(404);
    expect(res.body).not.toContain('<title>spa</title>');
  }
});

it('says how to build the portal when it is not built', async () => {
  const empty = Fastify({ logger: false });
  await empty.register(portalRoutes, { dir: path.join(dir, 'missing') });
  const res = await empty.inject({ method: 'GET', url: '/numbers' });
  expect(res.statusCode).toBe(503);
  expect(res.body).toContain('npm run build:portal');
  await empty.close();
});
