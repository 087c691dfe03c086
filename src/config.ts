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
  };
}
