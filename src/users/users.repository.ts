/** Users and their sessions: the only SQL of the users feature. */
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/pool.js';
import type { DB } from '../db/schema.js';

type Executor = Db | Transaction<DB>;

export const userColumns = [
  'id',
  'email',
  'name',
  'permissions',
  'scope',
  'disabled',
  'failed_sign_ins',
  'sign_in_blocked_until',
  'last_sign_in_at',
  'created_by',
  'created_at',
  'updated_at',
  'version',
] as const;

export type UserRow = Awaited<ReturnType<typeof findUser>> & {};

export function findUser(db: Executor, id: string) {
  return db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
}

/** With the password hash: for sign-in and password changes only. */
export function findUserWithHash(db: Executor, by: { email: string } | { id: string }) {
  let q = db.selectFrom('users').select([...userColumns, 'password_hash']);
  q = 'email' in by ? q.where('email', '=', by.email) : q.where('id', '=', by.id);
  return q.executeTakeFirst();
}

export function insertUser(
  db: Executor,
  row: {
    email: string;
    name: string;
    password_hash: string;
    permissions: string[];
    scope: string;
    created_by: string | null;
  },
) {
  return db.insertInto('users').values(row).returning(userColumns).executeTakeFirstOrThrow();
}

/** Users ordered by e-mail; `scope` confines a customer admin to its own. */
export function listUsers(
  db: Executor,
  f: { scope: string | null; after?: string | undefined; limit: number },
) {
  let q = db.selectFrom('users').select(userColumns).orderBy('email').limit(f.limit);
  if (f.scope) q = q.where('scope', '=', f.scope);
  if (f.after !== undefined) q = q.where('email', '>', f.after);
  return q.execute();
}

export function updateUser(
  trx: Transaction<DB>,
  id: string,
  set: Partial<{
    name: string;
    permissions: string[];
    scope: string;
    disabled: boolean;
    password_hash: string;
  }>,
  expectedVersion?: number,
) {
  let q = trx
    .updateTable('users')
    .set({ ...set, updated_at: new Date(), version: sql`version + 1` })
    .where('id', '=', id);
  if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
  return q.returning(userColumns).executeTakeFirst();
}

export function deleteUser(trx: Transaction<DB>, id: string) {
  return trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
}

export function recordFailedSignIn(db: Executor, id: string, blockedUntil: Date | null) {
  return db
    .updateTable('users')
    .set({
      failed_sign_ins: sql`failed_sign_ins + 1`,
      ...(blockedUntil ? { sign_in_blocked_until: blockedUntil } : {}),
    })
    .where('id', '=', id)
    .returning('failed_sign_ins')
    .executeTakeFirst();
}

export function recordSignIn(trx: Transaction<DB>, id: string, at: Date) {
  return trx
    .updateTable('users')
    .set({ failed_sign_ins: 0, sign_in_blocked_until: null, last_sign_in_at: at })
    .where('id', '=', id)
    .execute();
}

export function countUsers(db: Executor, scope?: string) {
  let q = db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n'));
  if (scope) q = q.where('scope', '=', scope);
  return q.executeTakeFirstOrThrow().then((r) => Number(r.n));
}

// --- sessions ---------------------------------------------------------------

const ms = (n: number) => sql<Date>`now() + ${n} * interval '1 millisecond'`;

/**
 * Session times come from the database clock only (insert, expiry check,
 * extension), so every API instance agrees on when a session ends.
 */
export function insertSession(
  db: Executor,
  row: { id_hash: string; user_id: string; user_agent: string | null },
  idleMs: number,
) {
  return db
    .insertInto('user_sessions')
    .values({ ...row, expires_at: ms(idleMs) })
    .execute();
}

/** A live session and its enabled user, or undefined. Expiry is judged by the database clock. */
export function findLiveSession(db: Executor, idHash: string) {
  return db
    .selectFrom('user_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      's.id_hash',
      's.created_at',
      's.last_seen_at',
      's.expires_at',
      'u.id as user_id',
      'u.email',
      'u.name',
      'u.permissions',
      'u.scope',
      sql<Date>`now()`.as('db_now'),
    ])
    .where('s.id_hash', '=', idHash)
    .where('s.expires_at', '>', sql<Date>`now()`)
    .where('u.disabled', '=', false)
    .executeTakeFirst();
}

/** Slide the expiry: idle timeout from now, never past created_at + maxMs. */
export function touchSession(db: Executor, idHash: string, idleMs: number, maxMs: number) {
  return db
    .updateTable('user_sessions')
    .set({
      last_seen_at: sql<Date>`now()`,
      expires_at: sql<Date>`least(${ms(idleMs)}, created_at + ${maxMs} * interval '1 millisecond')`,
    })
    .where('id_hash', '=', idHash)
    .execute();
}

export function deleteSession(db: Executor, idHash: string) {
  return db.deleteFrom('user_sessions').where('id_hash', '=', idHash).executeTakeFirst();
}

/** End every session of a user (disabled, password changed), except `keep`. */
export function deleteUserSessions(db: Executor, userId: string, keep?: string) {
  let q = db.deleteFrom('user_sessions').where('user_id', '=', userId);
  if (keep) q = q.where('id_hash', '<>', keep);
  return q.executeTakeFirst();
}

/** Housekeeping on sign-in: sessions that ended long ago. */
export function deleteExpiredSessions(db: Executor) {
  return db
    .deleteFrom('user_sessions')
    .where('expires_at', '<', sql<Date>`now() - interval '1 day'`)
    .executeTakeFirst();
}
