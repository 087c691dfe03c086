/**
 * `numbat serve`: open the database (embedded or DATABASE_URL), run
 * migrations, make sure an admin token exists, listen.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createTokensService } from './auth/tokens.service.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { startJobWorker } from './jobs/run-worker.js';

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  url: string;
  close: () => Promise<void>;
}

export async function startServer(
  config: Config,
  log: (msg: string) => void = (m) => console.error(m),
): Promise<RunningServer> {
  if (!config.databaseUrl) log(`starting embedded PostgreSQL in ${config.dataDir} …`);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    dataDirExplicit: config.dataDirExplicit,
    log: (m) => {
      if (!m.startsWith('postgres:')) log(m);
    },
  });
  const boot = await createTokensService({ db: database.db }).bootstrap(config.adminToken);
  if (boot?.generated) {
    // Shown once: only its hash is stored.
    log(
      `\n  First start: created an admin API token (shown only now, store it safely):\n\n    ${boot.secret}\n\n` +
        `  Use it as "Authorization: Bearer <token>". Set NUMBAT_ADMIN_TOKEN to choose it yourself.\n`,
    );
  } else if (boot) {
    log('First start: created the admin API token from NUMBAT_ADMIN_TOKEN.');
  }
  const app = await buildApp({ db: database.db, pool: database.pool, config });
  const address = await app.listen({ host: config.host, port: config.port });
  log(`Numbat is listening on ${address} (API docs: ${address}/api/docs)`);
  // Jobs (imports, bulk actions) run in this process unless NUMBAT_WORKER=off.
  const worker = config.worker
    ? startJobWorker(database, config, (m, err) => app.log.error({ err }, m))
    : null;
  return {
    app,
    database,
    url: address,
    close: async () => {
      await worker?.stop();
      await app.close();
      await database.close();
    },
  };
}
