/** API tokens: created with a permission set and a scope, shown once, stored hashed. */
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import { AppError, notFound } from '../http/errors.js';
import {
  customerScope,
  formatScope,
  normalizePermissions,
  parseScope,
  type Permission,
} from './principal.js';
import * as repo from './tokens.repository.js';
import { hashToken, newTokenSecret, tokenPrefix } from './tokens.js';

export interface NewToken {
  name: string;
  permissions: Permission[];
  scope: string;
  expiresAt?: Date | null;
  /** Use this secret instead of a random one (NUMBAT_ADMIN_TOKEN at first start). */
  secret?: string;
}

export function createTokensService({ db }: { db: Db }) {
  async function create(actor: Actor | null, input: NewToken) {
    const scope = parseScope(input.scope);
    if (!scope) {
      throw new AppError('VALIDATION_FAILED', `scope must be "operator" or "customer:<uuid>"`, {}, [
        { field: 'scope', message: 'invalid' },
      ]);
    }
    const own = actor ? customerScope(actor.principal) : null;
    if (own !== null && (scope.type !== 'customer' || scope.customerId !== own)) {
      throw new AppError(
        'FORBIDDEN',
        'a customer-scoped principal can only create tokens for its own customer',
      );
    }
    if (scope.type === 'customer') {
      const c = await db
        .selectFrom('customers')
        .select('id')
        .where('id', '=', scope.customerId)
        .executeTakeFirst();
      if (!c)
        throw new AppError('VALIDATION_FAILED', `customer ${scope.customerId} not found`, {}, [
          { field: 'scope', message: 'unknown customer' },
        ]);
    }
    const secret = input.secret ?? newTokenSecret();
    if (secret.length < 20)
      throw new AppError('VALIDATION_FAILED', 'a token must be at least 20 characters');
    return db.transaction().execute(async (trx) => {
      const row = await repo.insertToken(trx, {
        name: input.name,
        token_hash: hashToken(secret),
        prefix: tokenPrefix(secret),
        permissions: normalizePermissions(input.permissions),
        scope: formatScope(scope),
        created_by: actor?.principal.id ?? 'system',
        expires_at: input.expiresAt ?? null,
      });
      if (actor) {
        await writeAudit(trx, actor, [
          {
            action: 'token.create',
            objectType: 'token',
            objectId: row.id,
            customerId: scope.type === 'customer' ? scope.customerId : null,
            changes: {
              name: [null, row.name],
              permissions: [null, row.permissions],
              scope: [null, row.scope],
            },
          },
        ]);
      }
      return { row, secret };
    });
  }

  return {
    create,
    list: (actor: Actor) => {
      const own = customerScope(actor.principal);
      return repo.listTokens(db, own ? `customer:${own}` : null);
    },
    async revoke(actor: Actor, id: string) {
      const row = await repo.findToken(db, id);
      const own = customerScope(actor.principal);
      if (!row || (own && row.scope !== `customer:${own}`)) throw notFound(`token ${id}`);
      await db.transaction().execute(async (trx) => {
        await repo.revokeToken(trx, id);
        await writeAudit(trx, actor, [
          {
            action: 'token.revoke',
            objectType: 'token',
            objectId: id,
            customerId: own,
            changes: { revoked: [false, true] },
          },
        ]);
      });
    },
    /**
     * First start: with no token in the database, create an admin token from
     * NUMBAT_ADMIN_TOKEN, or a random one. Returns the secret to show once,
     * or null when tokens exist already.
     */
    async bootstrap(
      adminToken: string | null,
    ): Promise<{ secret: string; generated: boolean } | null> {
      if ((await repo.countTokens(db)) > 0) return null;
      const { secret } = await create(null, {
        name: 'bootstrap admin',
        permissions: ['admin'],
        scope: 'operator',
        ...(adminToken ? { secret: adminToken } : {}),
      });
      return { secret, generated: !adminToken };
    },
  };
}

export type TokensService = ReturnType<typeof createTokensService>;
