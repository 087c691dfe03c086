/**
 * Operator settings (the `settings` table, key → jsonb). Each known key has a
 * default here, so an unset setting reads as its default.
 */
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/pool.js';
import type { DB } from '../db/schema.js';

export interface Settings {
  /**
   * SPEC §7 / R-40: automatic allocation also allocates and nominates a main
   * number for the customer at the site (m = 1). Default true.
   */
  createMainNumberAutomatically: boolean;
}

export const settingDefaults: Settings = {
  createMainNumberAutomatically: true,
};

export type SettingKey = keyof Settings;
const keys = Object.keys(settingDefaults) as SettingKey[];

export async function readSettings(db: Db | Transaction<DB>): Promise<Settings> {
  const rows = await db
    .selectFrom('settings')
    .select(['key', 'value'])
    .where('key', 'in', keys)
    .execute();
  const out: Settings = { ...settingDefaults };
  for (const r of rows) (out as unknown as Record<string, unknown>)[r.key] = r.value;
  return out;
}

export async function readSetting<K extends SettingKey>(
  db: Db | Transaction<DB>,
  key: K,
): Promise<Settings[K]> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row ? (row.value as Settings[K]) : settingDefaults[key];
}

export async function writeSettings(
  trx: Transaction<DB>,
  values: Partial<Settings>,
): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    await sql`
      INSERT INTO settings (key, value, updated_at) VALUES (${key}, ${JSON.stringify(value)}::jsonb, now())
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`.execute(trx);
  }
}
