import type { Db } from '../db/pool.js';
import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.js';

type Executor = Db | Transaction<DB>;

export const tokenColumns = [
  'id',
  'name',
  'prefix',
  'permissions',
  'scope',
  'created_by',
  'created_at',
  'expires_at',
  'last_used_at',
  'revoked_at',
] as const;

export function findActiveByHash(db: Executor, hash: string) {
  return db
    .selectFrom('api_tokens')
    .select(tokenColumns)
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export function insertToken(
  db: Executor,
  row: {
    name: string;
    token_hash: string;
    prefix: string;
    permissions: string[];
    scope: string;
    created_by: string | null;
    expires_at: Date | null;
  },
) {
  return db.insertInto('api_tokens').values(row).returning(tokenColumns).executeTakeFirstOrThrow();
}

export function listTokens(db: Executor, scope: string | null) {
  let q = db.selectFrom('api_tokens').select(tokenColumns).orderBy('created_at').orderBy('id');
  if (scope) q = q.where('scope', '=', scope);
  return q.execute();
}

export function findToken(db: Executor, id: string) {
  return db.selectFrom('api_tokens').select(tokenColumns).where('id', '=', id).executeTakeFirst();
}

export function revokeToken(db: Executor, id: string) {
  return db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function countTokens(db: Executor): Promise<number> {
  const r = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Touch at most once a minute per token: a write per request would serialise reads. */
export function touchToken(db: Executor, id: string) {
  return db
    .updateTable('api_tokens')
    .set({ last_used_at: new Date() })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', new Date(Date.now() - 60_000)),
      ]),
    )
    .execute();
}
