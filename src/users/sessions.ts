/**
 * Portal sessions: a random secret in an HttpOnly, SameSite=Strict cookie;
 * the database keeps only its SHA-256. The CSRF token is derived from the
 * secret (a synchronizer token that needs no storage): the page learns it
 * from /api/v1/auth/me and sends it as `X-CSRF-Token` on every change. A
 * page on another site can neither read the cookie nor that answer.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'numbat_session';
export const CSRF_HEADER = 'x-csrf-token';

/** A session ends after this long without a request (sliding). */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** …and at the latest this long after sign-in, however busy. */
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
/** Extend `expires_at` at most this often: a write per request would serialise reads. */
export const SESSION_TOUCH_MS = 60_000;

export const newSessionSecret = () => randomBytes(32).toString('base64url');

export const hashSessionSecret = (secret: string) =>
  createHash('sha256').update(`session\0${secret}`).digest('hex');

export const csrfTokenFor = (secret: string) =>
  createHash('sha256').update(`csrf\0${secret}`).digest('base64url');

/** Constant-time comparison of the header against the session's token. */
export function csrfTokenMatches(secret: string, header: unknown): boolean {
  if (typeof header !== 'string' || header.length === 0 || header.length > 100) return false;
  const expected = Buffer.from(csrfTokenFor(secret));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
