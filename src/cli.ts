#!/usr/bin/env node
/** The `numbat` command line (SPEC §9 "CLI"). */
import { Command, InvalidArgumentError } from 'commander';
import type { createServices } from './app.js';
import { permissions, systemPrincipal, type Permission } from './auth/principal.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { DomainError } from './domain/errors.js';
import { AppError } from './http/errors.js';
import { registerBulkCommands } from './jobs/bulk.cli.js';
import { randomPassword } from './users/passwords.js';
import type { Actor } from './actor.js';

const cliActor: Actor = {
  principal: { ...systemPrincipal, id: 'cli', name: `cli:${process.env.USER ?? 'unknown'}` },
  source: 'system',
  requestId: null,
  ticketId: null,
};

/** Open the database for a one-shot command, run it, close it. */
async function withServices<T>(
  fn: (s: ReturnType<typeof createServices>) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    dataDirExplicit: config.dataDirExplicit,
  });
  try {
    // Each command loads what it needs (app.js is the whole application):
    // `numbat export` starts in a third of the time (docs/decisions.md).
    const app = await import('./app.js');
    return await fn(app.createServices(database.db, config, () => new Date()));
  } finally {
    await database.close();
  }
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
};

const program = new Command('numbat')
  .description('Telephone-number inventory and provisioning')
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'run the API (and portal) server; starts the embedded PostgreSQL unless DATABASE_URL is set',
  )
  .action(async () => {
    const { startServer } = await import('./server.js');
    const server = await startServer(loadConfig());
    const stop = async (signal: string) => {
      console.error(`${signal}: shutting down …`);
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });

program
  .command('migrate')
  .description('apply database migrations and exit (serve also does this on start)')
  .action(async () => {
    const config = loadConfig();
    const database = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      dataDirExplicit: config.dataDirExplicit,
      migrate: false,
    });
    try {
      const n = await migrate(database.pool, (m) => console.error(m));
      console.error(n === 0 ? 'database is up to date' : `applied ${n} migration(s)`);
    } finally {
      await database.close();
    }
  });

const range = program.command('range').description('number ranges');
range
  .command('add')
  .description('create a range and all its numbers (R-4: at most 1,000,000)')
  .requiredOption('--name <name>', 'range name (unique)')
  .requiredOption('--start <number>', 'first number, E.164 or national with --country')
  .option('--end <number>', 'last number (or use --count)')
  .option('--count <n>', 'how many numbers from --start', positiveInt)
  .option('--country <CC>', 'ISO country for national-format input')
  .option('--site <id>', 'site id')
  .option('--carrier <name>', 'carrier or source')
  .option('--ported-in', 'the numbers are ported in')
  .action(
    async (o: {
      name: string;
      start: string;
      end?: string;
      count?: number;
      country?: string;
      site?: string;
      carrier?: string;
      portedIn?: boolean;
    }) => {
      const started = Date.now();
      const row = await withServices((s) =>
        s.ranges.create(cliActor, {
          name: o.name,
          start: o.start,
          end: o.end,
          count: o.count,
          country: o.country?.toUpperCase(),
          siteId: o.site,
          carrier: o.carrier,
          portedIn: o.portedIn,
        }),
      );
      console.log(
        JSON.stringify({ id: row.id, name: row.name, start: row.start_e164, end: row.end_e164 }),
      );
      console.error(`created range ${row.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
  );

const tokens = program.command('tokens').description('API tokens');
tokens
  .command('create')
  .description('create an API token and print it (shown once)')
  .requiredOption('--name <name>', 'what the token is for')
  .option('--permissions <list>', `comma-separated: ${permissions.join(', ')}`, 'read')
  .option('--scope <scope>', '"operator" or "customer:<uuid>"', 'operator')
  .action(async (o: { name: string; permissions: string; scope: string }) => {
    const perms = o.permissions.split(',').map((p) => p.trim());
    const bad = perms.filter((p) => !(permissions as readonly string[]).includes(p));
    if (bad.length) throw new InvalidArgumentError(`unknown permission(s): ${bad.join(', ')}`);
    const { row, secret } = await withServices((s) =>
      s.tokens.create(cliActor, {
        name: o.name,
        permissions: perms as Permission[],
        scope: o.scope,
      }),
    );
    console.error(
      `token ${row.id} (${row.permissions.join(',')}, ${row.scope}); the secret is shown only now:`,
    );
    console.log(secret);
  });

const users = program.command('users').description('people who sign in to the portal');
users
  .command('add')
  .description('create a portal user; prints a generated password once unless --password-stdin')
  .requiredOption('--email <address>', 'e-mail address (the sign-in name)')
  .requiredOption('--name <name>', 'display name')
  .option('--permissions <list>', `comma-separated: ${permissions.join(', ')}`, 'read')
  .option('--scope <scope>', '"operator" or "customer:<uuid>"', 'operator')
  .option('--password-stdin', 'read the password from the first line of standard input')
  .action(
    async (o: {
      email: string;
      name: string;
      permissions: string;
      scope: string;
      passwordStdin?: boolean;
    }) => {
      const perms = o.permissions.split(',').map((p) => p.trim());
      const bad = perms.filter((p) => !(permissions as readonly string[]).includes(p));
      if (bad.length) throw new InvalidArgumentError(`unknown permission(s): ${bad.join(', ')}`);
      const password = o.passwordStdin ? await readFirstLine() : randomPassword();
      const row = await withServices((s) =>
        s.users.create(cliActor, {
          email: o.email,
          name: o.name,
          password,
          permissions: perms as Permission[],
          scope: o.scope,
        }),
      );
      console.error(`user ${row.email} (${row.permissions.join(',')}, ${row.scope}) created`);
      if (!o.passwordStdin) {
        console.error('its password is shown only now:');
        console.log(password);
      }
    },
  );

/** The first line of standard input, without its line ending. */
async function readFirstLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

registerBulkCommands(program, cliActor);

program
  .command('emulator')
  .description(
    'run a platform emulator (acg | webex) for demos and tests; needs ../shared/reference',
  )
  .argument('<platform>', 'acg or webex')
  .option(
    '--port <n>',
    'port to listen on (0: any free port)',
    (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535)
        throw new InvalidArgumentError('a port, 0-65535');
      return n;
    },
    0,
  )
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .action(async (platform: string, o: { port: number; host: string }) => {
    const { startEmulator } = await import('./emulators/start.js');
    await startEmulator(platform, o.port, o.host);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof AppError || err instanceof DomainError) {
    console.error(`numbat: ${err.code}: ${err.message}`);
    for (const e of (err instanceof AppError ? err.errors : undefined) ?? [])
      console.error(`  ${e.field}: ${e.message}`);
  } else {
    console.error(`numbat: ${(err as Error).message ?? String(err)}`);
  }
  process.exit(1);
});
