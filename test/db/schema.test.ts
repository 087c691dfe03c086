import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestDb } from '../support/db.js';

const { db } = await createTestDb();

async function insert(values: Record<string, unknown>) {
  const row = { e164: '+442079460001', country: 'GB', kind: 'fixedLine', source: 'api', ...values };
  const cols = Object.keys(row);
  return sql`INSERT INTO numbers (${sql.join(cols.map((c) => sql.ref(c)))}) VALUES (${sql.join(
    Object.values(row).map((v) => sql`${v}`),
  )})`.execute(db);
}

async function violation(values: Record<string, unknown>): Promise<string> {
  try {
    await insert(values);
  } catch (err) {
    return (err as { constraint?: string }).constraint ?? String(err);
  }
  return 'accepted';
}

describe('numbers table constraints (invariants are not only in code)', () => {
  it('rejects a reserved number without a holder', async () => {
    expect(await violation({ status: 'reserved' })).toBe('numbers_holder_iff_held');
  });
  it('rejects an available number with a holder', async () => {
    expect(await violation({ holder_type: 'operator' })).toBe('numbers_holder_iff_held');
  });
  it('rejects an unknown state', async () => {
    expect(await violation({ status: 'gone', holder_type: 'operator' })).toBe(
      'numbers_status_check',
    );
  });
  it('rejects a non-E.164 identity', async () => {
    expect(await violation({ e164: '0207946000' })).toBe('numbers_e164_check');
  });
  it('rejects locked without a reason', async () => {
    expect(await violation({ locked: true })).toBe('numbers_lock_reason');
  });
  it('rejects an assignment on a number that is not assigned', async () => {
    expect(await violation({ assignment_type: 'user' })).toBe('numbers_assignment_iff_assigned');
  });
  it('R-21: allows only one main number per holder per site', async () => {
    const site = await db
      .insertInto('sites')
      .values({ name: 'London', country: 'GB' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const main = {
      status: 'reserved',
      holder_type: 'operator',
      main_number: true,
      site_id: site.id,
    };
    expect(await violation({ ...main, e164: '+442079460010' })).toBe('accepted');
    expect(await violation({ ...main, e164: '+442079460011' })).toBe(
      'numbers_one_main_per_holder_site',
    );
  });
  it('refuses a number that refers to a missing range or site (statement-level check)', async () => {
    expect(
      await violation({ e164: '+442079460020', range_id: '00000000-0000-4000-8000-000000000009' }),
    ).toBe('numbers_references');
    expect(
      await violation({ e164: '+442079460021', site_id: '00000000-0000-4000-8000-000000000009' }),
    ).toBe('numbers_references');
  });
  it('refuses to delete a site that numbers refer to', async () => {
    const site = await db
      .insertInto('sites')
      .values({ name: 'Leeds', country: 'GB' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await violation({ e164: '+442079460022', site_id: site.id })).toBe('accepted');
    await expect(db.deleteFrom('sites').where('id', '=', site.id).execute()).rejects.toMatchObject({
      constraint: 'numbers_references',
    });
  });
  it('SPEC §11: audit events cannot be changed or deleted', async () => {
    await db
      .insertInto('audit_events')
      .values({
        principal_id: 'p',
        principal_name: 'p',
        source: 'system',
        action: 'test',
        object_type: 'number',
        object_id: '+1',
      })
      .execute();
    await expect(db.deleteFrom('audit_events').execute()).rejects.toThrow(/cannot be changed/);
    await expect(db.updateTable('audit_events').set({ action: 'x' }).execute()).rejects.toThrow(
      /cannot be changed/,
    );
  });
});
