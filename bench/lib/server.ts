/**
 * Numbat in this process, as `numbat serve` runs it: open the database
 * (migrations run), bootstrap an admin token, listen on 127.0.0.1 on a free
 * port. Request logging is off so that stdout stays the table's; the job
 * worker is not started (no figure uses jobs).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createTokensService } from '../../src/auth/tokens.service.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { onCleanup } from './cleanup.js';
import { progress } from './log.js';

export interface BenchServer {
  baseUrl: string;
  token: string;
  app: FastifyInstance;
  database: Database;
}

export async function startNumbat(databaseUrl: string): Promise<BenchServer> {
  const database = await openDatabase({
    databaseUrl,
    dataDir: '/nonexistent',
    log: () => undefined,
  });
  onCleanup('close Numbat database pool', () => database.close());
  const token = `bench-${randomBytes(24).toString('base64url')}`;
  const boot = await createTokensService({ db: database.db }).bootstrap(token);
  if (!boot)
    throw new Error('the bench database already has API tokens; expected a fresh database');
  const app = await buildApp({
    db: database.db,
    pool: database.pool,
    config: { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'warn' },
    logger: false,
  });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  onCleanup('stop Numbat', async () => {
    progress('stopping Numbat');
    await app.close();
  });
  progress(`Numbat listening on ${baseUrl}`);
  return { baseUrl, token, app, database };
}
