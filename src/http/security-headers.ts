/**
 * Issue 7: security headers on every answer, API and portal alike, and the
 * log redaction list (secrets never reach the logs).
 *
 * - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
 *   `Referrer-Policy` (the portal's `same-origin` is kept; API answers get
 *   `no-referrer`), `Cross-Origin-Resource-Policy: same-origin`.
 * - CSP: the portal's own policy (src/portal/portal.routes.ts) stays; every
 *   other answer gets `default-src 'none'; frame-ancestors 'none'` (JSON and
 *   CSV need nothing), except the Swagger UI pages under /api/docs, which
 *   run their own inline scripts.
 * - HSTS (`Strict-Transport-Security`) when configured: `on` always, `auto`
 *   (the default) only on requests that arrived over TLS, `off` never.
 * - No `X-Powered-By` (Fastify sends none; removed should a plugin add it).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export type HstsMode = 'on' | 'off' | 'auto';

export interface SecurityHeadersOptions {
  hsts: HstsMode;
  /** max-age in seconds, default one year. */
  hstsMaxAge?: number;
}

export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Paths pino blanks in every log line: credentials in headers, and secret
 * fields should a body or a token object ever be logged.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.secret',
  '*.csrfToken',
];

export default fp(async function securityHeaders(
  app: FastifyInstance,
  opts: SecurityHeadersOptions,
) {
  const hsts = `max-age=${opts.hstsMaxAge ?? 31_536_000}; includeSubDomains`;
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('cross-origin-resource-policy'))
      reply.header('cross-origin-resource-policy', 'same-origin');
    if (!reply.hasHeader('content-security-policy') && !req.url.startsWith('/api/docs'))
      reply.header('content-security-policy', API_CSP);
    if (opts.hsts === 'on' || (opts.hsts === 'auto' && req.protocol === 'https'))
      reply.header('strict-transport-security', hsts);
    reply.removeHeader('x-powered-by');
    return payload;
  });
});
