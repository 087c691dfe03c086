/**
 * The session half of authentication (src/http/auth.ts asks this module):
 * cookie secret → live session → Principal. One indexed look-up per request;
 * the expiry slides at most once a minute.
 */
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/pool.js';
import { findLiveSession, touchSession } from './users.repository.js';
import {
  hashSessionSecret,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  SESSION_TOUCH_MS,
} from './sessions.js';
import { principalOfUser } from './users.service.js';

export async function sessionPrincipal(db: Db, secret: string): Promise<Principal | null> {
  if (secret.length < 20 || secret.length > 100) return null;
  const idHash = hashSessionSecret(secret);
  const s = await findLiveSession(db, idHash);
  if (!s) return null;
  if (s.db_now.getTime() - s.last_seen_at.getTime() > SESSION_TOUCH_MS) {
    void touchSession(db, idHash, SESSION_IDLE_MS, SESSION_MAX_MS).catch(() => undefined);
  }
  return principalOfUser({
    id: s.user_id,
    email: s.email,
    permissions: s.permissions,
    scope: s.scope,
  });
}
