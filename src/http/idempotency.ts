/**
 * SPEC §9 Idempotency-Key on POSTs: the first answer is replayed for 24 h;
 * the same key with a different body is 422; while the first request still
 * runs, a replay waits for it (up to WAIT_MS) and then answers 409.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import type { Db } from '../db/pool.js';
import { AppError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { principalId: string; key: string } | null;
  }
}

const KEY_TTL_HOURS = 24;
const WAIT_MS = 10_000;
/** A key still `running` after this long belongs to a crashed process. */
const ABANDONED_MS = 5 * 60_000;
const REPLAYED_HEADERS = ['content-type', 'etag', 'location'];

function requestHash(req: FastifyRequest): string {
  return createHash('sha256')
    .update(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex');
}

export default fp(async function idempotency(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;
  app.decorateRequest('idempotency', null);

  async function replay(
    req: FastifyRequest,
    reply: FastifyReply,
    key: string,
    principalId: string,
    hash: string,
  ) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const row = await db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('principal_id', '=', principalId)
        .where('key', '=', key)
        .executeTakeFirst();
      if (!row) return false; // expired and removed meanwhile: run it
      const age = Date.now() - row.created_at.getTime();
      if (age > KEY_TTL_HOURS * 3600_000 || (row.state === 'running' && age > ABANDONED_MS)) {
        await db
          .deleteFrom('idempotency_keys')
          .where('principal_id', '=', principalId)
          .where('key', '=', key)
          .where('created_at', '=', row.created_at)
          .execute();
        return false;
      }
      if (row.request_hash !== hash) {
        throw new AppError(
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used with a different request',
        );
      }
      if (row.state === 'done') {
        for (const [h, v] of Object.entries(row.response_headers ?? {})) reply.header(h, v);
        reply.header('idempotent-replayed', 'true');
        reply.code(row.response_status ?? 200);
        await reply.send(row.response_body);
        return true;
      }
      if (Date.now() > deadline) {
        throw new AppError(
          'IDEMPOTENCY_KEY_IN_PROGRESS',
          'a request with this Idempotency-Key is still running',
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  app.addHook('preHandler', async (req, reply) => {
    const key = req.headers['idempotency-key'];
    if (req.method !== 'POST' || typeof key !== 'string' || !req.principal) return;
    if (key.length < 1 || key.length > 255) {
      throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1–255 characters');
    }
    const principalId = req.principal.id;
    const hash = requestHash(req);
    for (;;) {
      const inserted = await sql`
        INSERT INTO idempotency_keys (principal_id, key, request_hash, state)
        VALUES (${principalId}, ${key}, ${hash}, 'running')
        ON CONFLICT DO NOTHING RETURNING 1`.execute(db);
      if (inserted.rows.length === 1) {
        req.idempotency = { principalId, key };
        return;
      }
      if (await replay(req, reply, key, principalId, hash)) return reply;
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = null;
    if (reply.statusCode >= 500 || typeof payload !== 'string') {
      // Not a final answer: let the client retry with the same key.
      await db
        .deleteFrom('idempotency_keys')
        .where('principal_id', '=', idem.principalId)
        .where('key', '=', idem.key)
        .execute();
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const h of REPLAYED_HEADERS) {
      const v = reply.getHeader(h);
      if (v !== undefined) headers[h] = String(v);
    }
    await db
      .updateTable('idempotency_keys')
      .set({
        state: 'done',
        response_status: reply.statusCode,
        response_headers: JSON.stringify(headers),
        response_body: payload,
      })
      .where('principal_id', '=', idem.principalId)
      .where('key', '=', idem.key)
      .execute();
    return payload;
  });
});
