/** Forward-only migrations are safe when two instances start at the same moment. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { migrate, migrations } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';

it('two instances migrating one empty database at once apply each migration exactly once', async () => {
  const adminUrl = inject('adminDbUrl');
  const name = `numbat_test_mig_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const pools = [
    createPool(u.toString(), 2),
    createPool(u.toString(), 2),
    createPool(u.toString(), 2),
  ];
  try {
    const applied = await Promise.all(pools.map((p) => migrate(p)));
    expect(applied.reduce((a, b) => a + b, 0)).toBe(migrations.length);
    const rows = await pools[0]!.query<{ id: number }>(
      'SELECT id FROM numbat_migrations ORDER BY id',
    );
    expect(rows.rows.map((r) => r.id)).toEqual(migrations.map((m) => m.id));
    expect(await migrate(pools[0]!)).toBe(0); // a restart applies nothing
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
});
