/**
 * Serves the portal (portal/dist, built by `npm run build:portal`) at `/`.
 * Any GET that is not an API path and not a file falls back to index.html,
 * so the single-page app owns its own paths (/numbers/+4420…, /sites/…).
 * Hashed assets are cached for a year; index.html is revalidated every time,
 * so a new build is picked up on the next page load.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** src/portal and dist/portal are both two levels below the repository root. */
export const DEFAULT_PORTAL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'portal',
  'dist',
);

/**
 * Only our own scripts run; Mantine sets inline styles, hence 'unsafe-inline'
 * for styles only. No framing (clickjacking), no referrer across origins.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function securityHeaders(reply: FastifyReply) {
  reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Numbat</title></head>
<body><main><h1>The portal is not built</h1>
<p>Run <code>npm run build:portal</code> (or <code>npm start</code>, which builds it when missing)
and reload this page. The API works meanwhile: <a href="/api/docs">/api/docs</a>.</p></main></body></html>`;

export async function portalRoutes(app: FastifyInstance, opts: { dir?: string } = {}) {
  const root = opts.dir ?? DEFAULT_PORTAL_DIR;
  await app.register(fastifyStatic, { root, serve: false });

  app.get(
    '/*',
    { config: { permission: 'public' }, schema: { hide: true } },
    async (req, reply) => {
      let urlPath: string;
      try {
        urlPath = decodeURIComponent(req.url.split('?')[0] ?? '/');
      } catch {
        return reply.callNotFound(); // malformed %-escapes
      }
      // API paths that no route matched are API 404s (problem+json), never the SPA.
      if (urlPath === '/api' || urlPath.startsWith('/api/')) return reply.callNotFound();
      securityHeaders(reply);
      const index = path.join(root, 'index.html');
      if (!fs.existsSync(index)) {
        return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
      }
      const rel = path.normalize(urlPath).replace(/^([/\\])+/, '');
      const file = path.join(root, rel);
      const inside = file.startsWith(root + path.sep);
      if (
        inside &&
        path.extname(rel) !== '' &&
        fs.statSync(file, { throwIfNoEntry: false })?.isFile()
      ) {
        const hashed = rel.startsWith(`assets${path.sep}`);
        return reply.sendFile(rel, root, {
          cacheControl: true,
          maxAge: hashed ? '365d' : 0,
          immutable: hashed,
        });
      }
      // A missing file is a real 404 (a stale tab asking for an old bundle, a
      // favicon.ico); only extension-less paths are the SPA's own pages.
      if (path.extname(rel) !== '') return reply.callNotFound();
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html', root, { cacheControl: false });
    },
  );
}
