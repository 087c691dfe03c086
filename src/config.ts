/**
 * Configuration from the environment, read once at start. Every option and its
 * default is listed in README.md ("Configuration").
 */
export interface Config {
  /** PostgreSQL server URL; unset = embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | null;
  /** NUMBAT_DATA_DIR, default `./.numbat`: embedded cluster and its credentials. */
  dataDir: string;
  /** Whether NUMBAT_DATA_DIR was set (an explicit directory is never relocated). */
  dataDirExplicit: boolean;
  /** NUMBAT_HOST, default 127.0.0.1. */
  host: string;
  /** PORT / NUMBAT_PORT, default 3000. */
  port: number;
  /** NUMBAT_ADMIN_TOKEN: the first admin token, when the database has none. */
  adminToken: string | null;
  /** NUMBAT_COOLING_OFF_DAYS, default 90: days a released number cools off. */
  coolingOffDays: number;
  /** NUMBAT_COOLING_OFF_DAYS_BY_COUNTRY, e.g. "GB=30,US=0": per-country overrides. */
  coolingOffDaysByCountry: Record<string, number>;
  /** LOG_LEVEL, default info. */
  logLevel: string;
  /** NUMBAT_WORKER, default on: `serve` also runs the job worker ("off" to run workers apart). */
  worker: boolean;
  /** NUMBAT_RATE_LIMIT, default 200: sustained requests per second per principal (0 = off). */
  rateLimitPerSecond: number;
  /** NUMBAT_RATE_LIMIT_BURST, default 1000: requests a principal may send at once. */
  rateLimitBurst: number;
  /** NUMBAT_EXPORTS_PER_PRINCIPAL, default 2: concurrent exports per principal (0 = no cap). */
  exportsPerPrincipal: number;
  /** NUMBAT_EXPORTS_GLOBAL, default 8: concurrent exports per instance (0 = no cap). */
  exportsGlobal: number;
  /** NUMBAT_BODY_LIMIT, default 4 MiB: largest JSON body in bytes (imports stream apart). */
  bodyLimit: number;
  /** NUMBAT_IMPORT_MAX_BYTES, default 512 MiB: largest import file. */
  importMaxBytes: number;
  /** NUMBAT_IMPORT_MAX_ROWS, default 10,000,000: most lines in an import file. */
  importMaxRows: number;
  /** NUMBAT_HSTS, default auto: Strict-Transport-Security on TLS requests (on / off / auto). */
  hsts: 'on' | 'off' | 'auto';
}

/** Issue 7: the caps and limits, with the defaults `loadConfig` uses. */
export const limitDefaults = {
  rateLimitPerSecond: 200,
  rateLimitBurst: 1000,
  exportsPerPrincipal: 2,
  exportsGlobal: 8,
  bodyLimit: 4 * 1024 * 1024,
  importMaxBytes: 512 * 1024 * 1024,
  importMaxRows: 10_000_000,
  hsts: 'auto' as 'on' | 'off' | 'auto',
};
export type Limits = typeof limitDefaults;

function hstsMode(value: string | undefined): Config['hsts'] {
  const v = (value ?? '').toLowerCase();
  if (v === '') return 'auto';
  if (v === 'on' || v === 'off' || v === 'auto') return v;
  throw new Error(`NUMBAT_HSTS must be on, off or auto, got "${value}"`);
}

function int(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function byCountry(value: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!value) return out;
  for (const part of value.split(',')) {
    const m = /^\s*([A-Za-z]{2})\s*=\s*(\d+)\s*$/.exec(part);
    if (!m)
      throw new Error(`NUMBAT_COOLING_OFF_DAYS_BY_COUNTRY: expected "CC=days,…", got "${part}"`);
    out[m[1]!.toUpperCase()] = Number(m[2]);
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || null,
    dataDir: env.NUMBAT_DATA_DIR || './.numbat',
    dataDirExplicit: Boolean(env.NUMBAT_DATA_DIR),
    host: env.NUMBAT_HOST || '127.0.0.1',
    port: int('PORT', env.NUMBAT_PORT ?? env.PORT, 3000, 0),
    adminToken: env.NUMBAT_ADMIN_TOKEN || null,
    coolingOffDays: int('NUMBAT_COOLING_OFF_DAYS', env.NUMBAT_COOLING_OFF_DAYS, 90),
    coolingOffDaysByCountry: byCountry(env.NUMBAT_COOLING_OFF_DAYS_BY_COUNTRY),
    logLevel: env.LOG_LEVEL || 'info',
    worker: !['off', 'false', '0', 'no'].includes((env.NUMBAT_WORKER ?? '').toLowerCase()),
    rateLimitPerSecond: int(
      'NUMBAT_RATE_LIMIT',
      env.NUMBAT_RATE_LIMIT,
      limitDefaults.rateLimitPerSecond,
    ),
    rateLimitBurst: int(
      'NUMBAT_RATE_LIMIT_BURST',
      env.NUMBAT_RATE_LIMIT_BURST,
      limitDefaults.rateLimitBurst,
      1,
    ),
    exportsPerPrincipal: int(
      'NUMBAT_EXPORTS_PER_PRINCIPAL',
      env.NUMBAT_EXPORTS_PER_PRINCIPAL,
      limitDefaults.exportsPerPrincipal,
    ),
    exportsGlobal: int(
      'NUMBAT_EXPORTS_GLOBAL',
      env.NUMBAT_EXPORTS_GLOBAL,
      limitDefaults.exportsGlobal,
    ),
    bodyLimit: int('NUMBAT_BODY_LIMIT', env.NUMBAT_BODY_LIMIT, limitDefaults.bodyLimit, 1024),
    importMaxBytes: int(
      'NUMBAT_IMPORT_MAX_BYTES',
      env.NUMBAT_IMPORT_MAX_BYTES,
      limitDefaults.importMaxBytes,
      1,
    ),
    importMaxRows: int(
      'NUMBAT_IMPORT_MAX_ROWS',
      env.NUMBAT_IMPORT_MAX_ROWS,
      limitDefaults.importMaxRows,
      1,
    ),
    hsts: hstsMode(env.NUMBAT_HSTS),
  };
}
