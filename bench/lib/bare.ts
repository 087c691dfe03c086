/**
 * The bare baselines of figures C and G: a second Fastify instance in the
 * bench's process with no plugins, hooks, auth or schemas, whose routes call
 * the very repository functions Numbat's routes end in, on the same Kysely /
 * pg pool, and return the same JSON. What Numbat costs beyond them is its own
 * HTTP stack (request id, auth, validation, serialisation, hooks) and service.
 */
import Fastify from 'fastify';
import { systemPrincipal } from '../../src/auth/principal.js';
import type { Db } from '../../src/db/pool.js';
import { presentNumber } from '../../src/numbers/numbers.presenter.js';
import { createAllocationBatcher } from '../../src/numbers/allocation-batcher.js';
import { allocateInOneStatement, getNumber } from '../../src/numbers/numbers.repository.js';
import { etagOf } from '../../src/numbers/numbers.service.js';
import { onCleanup } from './cleanup.js';

export async function startBare(db: Db): Promise<string> {
  const app = Fastify({ logger: false });
  app.get<{ Params: { e164: string } }>('/bare/numbers/:e164', async (req, reply) => {
    const row = await getNumber(db, req.params.e164);
    if (!row) return reply.code(404).send({ code: 'NOT_FOUND' });
    reply.header('etag', etagOf(row));
    return presentNumber(row, new Date());
  });
  // POST /numbers/allocate's one statement (count 1), nothing around it.
  app.post<{ Body: { customerId: string } }>('/bare/numbers/allocate', async (req, reply) => {
    const now = new Date();
    const rows = await allocateInOneStatement(
      db,
      { principal: systemPrincipal, source: 'api', requestId: req.id, ticketId: null },
      { type: 'customer', customerId: req.body.customerId },
      { count: 1, now },
    );
    if (!rows) return reply.code(409).send({ code: 'NOT_ENOUGH_NUMBERS' });
    return { items: rows.map((r) => presentNumber(r, now)) };
  });
  // The same with Numbat's group commit (allocation-batcher.ts), nothing around it.
  const batcher = createAllocationBatcher(db, () => new Date());
  app.post<{ Body: { customerId: string } }>(
    '/bare/numbers/allocate-batched',
    async (req, reply) => {
      const rows = await batcher.allocate(
        {
          actor: { principal: systemPrincipal, source: 'api', requestId: req.id, ticketId: null },
          holder: { type: 'customer', customerId: req.body.customerId },
          count: 1,
        },
        {},
      );
      if (!rows) return reply.code(409).send({ code: 'NOT_ENOUGH_NUMBERS' });
      const now = new Date();
      return { items: rows.map((r) => presentNumber(r, now)) };
    },
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  onCleanup('stop bare Fastify', () => app.close());
  return url;
}
