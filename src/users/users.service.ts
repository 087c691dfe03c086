/**
 * People who sign in to the portal (R-1: permissions and a scope, as API
 * tokens have) and their sessions. A customer admin manages only its own
 * customer's users and never learns that other users exist (404, never 403).
 */
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit/audit.repository.js';
import {
  customerScope,
  formatScope,
  normalizePermissions,
  parseScope,
  permissions,
  type Permission,
  type Principal,
  type Scope,
} from '../auth/principal.js';
import type { Db } from '../db/pool.js';
import { AppError, notFound } from '../http/errors.js';
import { decoyHash, hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import * as repo from './users.repository.js';
import type { UserRow } from './users.repository.js';
import { hashSessionSecret, newSessionSecret, SESSION_IDLE_MS } from './sessions.js';

/** After this many wrong passwords in a row, sign-in waits SIGN_IN_BLOCK_MS. */
export const SIGN_IN_FAILURES_BEFORE_BLOCK = 5;
export const SIGN_IN_BLOCK_MS = 60_000;

export interface NewUser {
  email: string;
  name: string;
  password: string;
  permissions: Permission[];
  scope: string;
}

export interface UserPatch {
  name?: string | undefined;
  permissions?: Permission[] | undefined;
  scope?: string | undefined;
  disabled?: boolean | undefined;
  password?: string | undefined;
}

const isUnique = (err: unknown) => (err as { code?: string }).code === '23505';
export const normalizeEmail = (email: string) => email.trim().toLowerCase();
export const etagOfUser = (r: Pick<UserRow, 'version'>) => `"${r.version}"`;

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field}: ${message}`, {}, [{ field, message }]);
}

function checkPassword(password: string, field = 'password') {
  const problem = passwordProblem(password);
  if (problem) throw invalid(field, problem);
}

const customerOfScope = (scope: string): string | null => {
  const s = parseScope(scope);
  return s?.type === 'customer' ? s.customerId : null;
};

export function createUsersService({ db, now }: { db: Db; now: () => Date }) {
  /** The scope text a principal may give a user: its own when customer-scoped. */
  async function allowedScope(actor: Actor | null, text: string): Promise<Scope> {
    const scope = parseScope(text);
    if (!scope) throw invalid('scope', 'must be "operator" or "customer:<uuid>"');
    const own = actor ? customerScope(actor.principal) : null;
    if (own !== null && (scope.type !== 'customer' || scope.customerId !== own)) {
      throw new AppError(
        'FORBIDDEN',
        'a customer-scoped admin can only manage users of its own customer',
      );
    }
    if (scope.type === 'customer') {
      const c = await db
        .selectFrom('customers')
        .select('id')
        .where('id', '=', scope.customerId)
        .executeTakeFirst();
      if (!c) throw invalid('scope', `customer ${scope.customerId} not found`);
    }
    return scope;
  }

  /** A user the actor may see, or 404. */
  async function visible(actor: Actor, id: string): Promise<UserRow> {
    const row = await repo.findUser(db, id);
    const own = customerScope(actor.principal);
    if (!row || (own !== null && row.scope !== `customer:${own}`)) throw notFound(`user ${id}`);
    return row;
  }

  return {
    async create(actor: Actor | null, input: NewUser): Promise<UserRow> {
      const email = normalizeEmail(input.email);
      checkPassword(input.password);
      const scope = await allowedScope(actor, input.scope);
      const password_hash = await hashPassword(input.password);
      return db
        .transaction()
        .execute(async (trx) => {
          const row = await repo.insertUser(trx, {
            email,
            name: input.name,
            password_hash,
            permissions: normalizePermissions(input.permissions),
            scope: formatScope(scope),
            created_by: actor?.principal.id ?? 'system',
          });
          if (actor) {
            await writeAudit(trx, actor, [
              {
                action: 'user.create',
                objectType: 'user',
                objectId: row.id,
                customerId: customerOfScope(row.scope),
                changes: {
                  email: [null, row.email],
                  name: [null, row.name],
                  permissions: [null, row.permissions],
                  scope: [null, row.scope],
                },
              },
            ]);
          }
          return row;
        })
        .catch((err: unknown) => {
          if (isUnique(err)) throw new AppError('ALREADY_EXISTS', `a user ${email} exists`);
          throw err;
        });
    },

    list(actor: Actor, page: { after?: string | undefined; limit: number }) {
      const own = customerScope(actor.principal);
      return repo.listUsers(db, { scope: own ? `customer:${own}` : null, ...page });
    },

    get: visible,

    /** The name shown for a signed-in user (its e-mail when the user is gone). */
    async displayName(id: string, fallback: string): Promise<string> {
      return (await repo.findUser(db, id))?.name ?? fallback;
    },

    async update(actor: Actor, id: string, patch: UserPatch, ifMatch?: string): Promise<UserRow> {
      const row = await visible(actor, id);
      if (ifMatch !== undefined && ifMatch !== etagOfUser(row)) {
        throw new AppError('PRECONDITION_FAILED', `user ${id} changed since ETag ${ifMatch}`);
      }
      const self = actor.principal.id === `user:${id}`;
      const permissions = patch.permissions ? normalizePermissions(patch.permissions) : undefined;
      // An admin cannot lock itself out: another admin has to do that.
      if (self && (patch.disabled || (permissions && !permissions.includes('admin')))) {
        throw new AppError(
          'CONFLICT',
          'you cannot disable your own account or remove your own admin permission',
        );
      }
      const scope = patch.scope !== undefined ? await allowedScope(actor, patch.scope) : undefined;
      if (patch.password !== undefined) checkPassword(patch.password);
      const set = {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(permissions ? { permissions } : {}),
        ...(scope ? { scope: formatScope(scope) } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        ...(patch.password !== undefined
          ? { password_hash: await hashPassword(patch.password) }
          : {}),
      };
      return db.transaction().execute(async (trx) => {
        const updated = await repo.updateUser(trx, id, set, row.version);
        if (!updated) {
          throw new AppError('PRECONDITION_FAILED', `user ${id} changed meanwhile`);
        }
        // Fewer rights, another scope, a new password or a disabled account:
        // sessions opened before must not keep the old rights.
        if (set.password_hash || set.disabled || set.permissions || set.scope) {
          await repo.deleteUserSessions(trx, id);
        }
        const changes: Record<string, [unknown, unknown]> = {};
        for (const k of ['name', 'permissions', 'scope', 'disabled'] as const) {
          if (set[k] !== undefined) changes[k] = [row[k], set[k]];
        }
        if (set.password_hash) changes.password = ['(hidden)', '(changed)'];
        await writeAudit(trx, actor, [
          {
            action: 'user.update',
            objectType: 'user',
            objectId: id,
            customerId: customerOfScope(updated.scope),
            changes,
          },
        ]);
        return updated;
      });
    },

    async remove(actor: Actor, id: string): Promise<void> {
      const row = await visible(actor, id);
      if (actor.principal.id === `user:${id}`) {
        throw new AppError('CONFLICT', 'you cannot delete your own account');
      }
      await db.transaction().execute(async (trx) => {
        await repo.deleteUser(trx, id); // sessions go with it (ON DELETE CASCADE)
        await writeAudit(trx, actor, [
          {
            action: 'user.delete',
            objectType: 'user',
            objectId: id,
            customerId: customerOfScope(row.scope),
            changes: { email: [row.email, null] },
          },
        ]);
      });
    },

    /**
     * Check the password and open a session. Every refusal says the same
     * thing (no account enumeration); after SIGN_IN_FAILURES_BEFORE_BLOCK
     * wrong passwords in a row the account waits SIGN_IN_BLOCK_MS.
     */
    async signIn(
      input: { email: string; password: string },
      meta: { userAgent: string | null; requestId: string },
    ): Promise<{ user: UserRow; secret: string }> {
      const email = normalizeEmail(input.email);
      const row = await repo.findUserWithHash(db, { email });
      const t = now();
      if (row?.sign_in_blocked_until && row.sign_in_blocked_until > t) {
        const seconds = Math.ceil((row.sign_in_blocked_until.getTime() - t.getTime()) / 1000);
        throw new AppError(
          'RATE_LIMITED',
          `too many wrong passwords for this account; try again in ${seconds} s`,
          { retryAfter: seconds },
        );
      }
      const ok = await verifyPassword(input.password, row?.password_hash ?? (await decoyHash()));
      if (!row || !ok || row.disabled) {
        if (row && !ok) {
          const failures = row.failed_sign_ins + 1;
          const block = failures % SIGN_IN_FAILURES_BEFORE_BLOCK === 0;
          await repo.recordFailedSignIn(
            db,
            row.id,
            block ? new Date(t.getTime() + SIGN_IN_BLOCK_MS) : null,
          );
        }
        throw new AppError('UNAUTHENTICATED', 'the e-mail address or the password is wrong');
      }
      const secret = newSessionSecret();
      const { password_hash: _hidden, ...user } = row;
      await db.transaction().execute(async (trx) => {
        await repo.insertSession(
          trx,
          { id_hash: hashSessionSecret(secret), user_id: row.id, user_agent: meta.userAgent },
          SESSION_IDLE_MS,
        );
        await repo.recordSignIn(trx, row.id, t);
        await writeAudit(trx, userActor(user, meta.requestId), [
          {
            action: 'user.signIn',
            objectType: 'user',
            objectId: row.id,
            customerId: customerOfScope(row.scope),
            changes: {},
          },
        ]);
      });
      void repo.deleteExpiredSessions(db).catch(() => undefined);
      return { user, secret };
    },

    /** End the session whose cookie secret is `secret` (no-op when unknown). */
    async signOut(actor: Actor, secret: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const r = await repo.deleteSession(trx, hashSessionSecret(secret));
        if (Number(r.numDeletedRows) > 0 && actor.principal.id.startsWith('user:')) {
          await writeAudit(trx, actor, [
            {
              action: 'user.signOut',
              objectType: 'user',
              objectId: actor.principal.id.slice('user:'.length),
              customerId: customerScope(actor.principal),
              changes: {},
            },
          ]);
        }
      });
    },

    /** A signed-in user changes its own password; its other sessions end. */
    async changePassword(
      actor: Actor,
      sessionSecret: string,
      input: { currentPassword: string; newPassword: string },
    ): Promise<void> {
      const id = actor.principal.id.startsWith('user:')
        ? actor.principal.id.slice('user:'.length)
        : null;
      if (!id) throw new AppError('FORBIDDEN', 'only a signed-in user has a password to change');
      const row = await repo.findUserWithHash(db, { id });
      if (!row) throw notFound(`user ${id}`);
      if (!(await verifyPassword(input.currentPassword, row.password_hash))) {
        throw invalid('currentPassword', 'is not your current password');
      }
      checkPassword(input.newPassword, 'newPassword');
      const hash = await hashPassword(input.newPassword);
      await db.transaction().execute(async (trx) => {
        await repo.updateUser(trx, id, { password_hash: hash });
        await repo.deleteUserSessions(trx, id, hashSessionSecret(sessionSecret));
        await writeAudit(trx, actor, [
          {
            action: 'user.changePassword',
            objectType: 'user',
            objectId: id,
            customerId: customerOfScope(row.scope),
            changes: { password: ['(hidden)', '(changed)'] },
          },
        ]);
      });
    },
  };
}

/** The actor of a user acting through the portal. */
function userActor(user: UserRow, requestId: string): Actor {
  const principal = principalOfUser(user);
  if (!principal) throw new Error(`user ${user.id} has an invalid scope ${user.scope}`);
  return { principal, source: 'ui', requestId, ticketId: null };
}

/** a user acts with its permissions and scope, exactly as a token would. */
export function principalOfUser(u: {
  id: string;
  email: string;
  permissions: string[];
  scope: string;
}): Principal | null {
  const scope = parseScope(u.scope);
  if (!scope) return null;
  return {
    id: `user:${u.id}`,
    name: u.email,
    permissions: new Set(
      normalizePermissions(
        u.permissions.filter((p): p is Permission =>
          (permissions as readonly string[]).includes(p),
        ),
      ),
    ),
    scope,
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
