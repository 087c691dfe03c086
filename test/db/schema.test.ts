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
  describe('references to customers, addresses, locations and services (statement-level, migration 0008)', () => {
    const missing = '00000000-0000-4000-8000-000000000009';
    async function customer(account: string): Promise<string> {
      const r = await sql<{
        id: string;
      }>`INSERT INTO customers (name, account_name) VALUES (${account}, ${account}) RETURNING id`.execute(
        db,
      );
      return r.rows[0]!.id;
    }
    async function address(customerId: string): Promise<{ address: string; location: string }> {
      const a = await sql<{ id: string }>`INSERT INTO civic_addresses (source, customer_id, country)
        VALUES ('operator', ${customerId}, 'GB') RETURNING id`.execute(db);
      const l = await sql<{ id: string }>`INSERT INTO locations (civic_address_id)
        VALUES (${a.rows[0]!.id}) RETURNING id`.execute(db);
      return { address: a.rows[0]!.id, location: l.rows[0]!.id };
    }
    async function service(customerId: string): Promise<string> {
      const r = await sql<{
        id: string;
      }>`INSERT INTO services (customer_id, platform, status, sip_connection)
        VALUES (${customerId}, 'teamsOperatorConnect', 'ready', 'sbc') RETURNING id`.execute(db);
      return r.rows[0]!.id;
    }
    const held = (customerId: string) => ({
      status: 'reserved',
      holder_type: 'customer',
      customer_id: customerId,
    });

    it('refuses a number held by a missing customer', async () => {
      expect(await violation({ e164: '+442079460030', ...held(missing) })).toBe(
        'numbers_references',
      );
    });
    it("refuses another customer's civic address or service, and a location of another address", async () => {
      const a = await customer('ref-a');
      const b = await customer('ref-b');
      const addrB = await address(b);
      const addrA = await address(a);
      const svcB = await service(b);
      expect(
        await violation({ e164: '+442079460031', ...held(a), civic_address_id: addrB.address }),
      ).toBe('numbers_references');
      expect(await violation({ e164: '+442079460032', ...held(a), service_id: svcB })).toBe(
        'numbers_references',
      );
      expect(
        await violation({
          e164: '+442079460033',
          ...held(a),
          civic_address_id: addrA.address,
          location_id: addrB.location,
        }),
      ).toBe('numbers_references');
      expect(await violation({ e164: '+442079460034', civic_address_id: missing })).toBe(
        'numbers_references',
      );
      // The same references, each the holder's own: accepted.
      expect(
        await violation({
          e164: '+442079460035',
          ...held(a),
          civic_address_id: addrA.address,
          location_id: addrA.location,
          service_id: await service(a),
        }),
      ).toBe('accepted');
    });
    it('checks every row of a multi-row statement: one shared key set (no hashing since 0013) and mixed ones', async () => {
      const a = await customer('ref-m');
      const insertMany = (rows: [string, string | null][]) =>
        sql`INSERT INTO numbers (e164, country, kind, source, status, holder_type, customer_id)
          SELECT r.e164, 'GB', 'fixedLine', 'api',
                 CASE WHEN r.c IS NULL THEN 'available' ELSE 'reserved' END,
                 CASE WHEN r.c IS NULL THEN NULL ELSE 'customer' END, r.c::uuid
          FROM jsonb_to_recordset(${JSON.stringify(rows.map(([e164, c]) => ({ e164, c })))}::jsonb)
            AS r(e164 text, c text)`
          .execute(db)
          .then(
            () => 'accepted',
            (err: Error & { constraint?: string }) => err.constraint ?? err.message,
          );
      // Every row the same missing customer; every row the same real one.
      expect(
        await insertMany([
          ['+442079460240', missing],
          ['+442079460241', missing],
        ]),
      ).toBe('numbers_references');
      expect(
        await insertMany([
          ['+442079460242', a],
          ['+442079460243', a],
        ]),
      ).toBe('accepted');
      // Mixed: the first row fine, a later one missing (the hashed path), in either order.
      expect(
        await insertMany([
          ['+442079460244', a],
          ['+442079460245', null],
          ['+442079460246', missing],
        ]),
      ).toBe('numbers_references');
      expect(
        await insertMany([
          ['+442079460247', missing],
          ['+442079460248', a],
        ]),
      ).toBe('numbers_references');
      expect(
        await insertMany([
          ['+442079460249', null],
          ['+442079460250', a],
        ]),
      ).toBe('accepted');
      // A multi-row update that moves one of its rows to a missing customer.
      await expect(
        sql`UPDATE numbers SET customer_id = CASE WHEN e164 = '+442079460243' THEN ${missing}::uuid
              ELSE customer_id END WHERE e164 IN ('+442079460242', '+442079460243')`.execute(db),
      ).rejects.toMatchObject({ constraint: 'numbers_references' });
    });
    it('refuses an update that points a number at a missing customer', async () => {
      const a = await customer('ref-c');
      expect(await violation({ e164: '+442079460036', ...held(a) })).toBe('accepted');
      await expect(
        sql`UPDATE numbers SET customer_id = ${missing} WHERE e164 = '+442079460036'`.execute(db),
      ).rejects.toMatchObject({ constraint: 'numbers_references' });
    });
    it('refuses to delete a customer, address, location or service that numbers refer to, or to move a used service to another customer', async () => {
      const a = await customer('ref-d');
      const b = await customer('ref-e');
      const addr = await address(a);
      const svc = await service(a);
      expect(
        await violation({
          e164: '+442079460037',
          ...held(a),
          civic_address_id: addr.address,
          location_id: addr.location,
          service_id: svc,
        }),
      ).toBe('accepted');
      const refused = { constraint: 'numbers_references' };
      await expect(sql`DELETE FROM services WHERE id = ${svc}`.execute(db)).rejects.toMatchObject(
        refused,
      );
      await expect(
        sql`UPDATE services SET customer_id = ${b} WHERE id = ${svc}`.execute(db),
      ).rejects.toMatchObject(refused);
      await expect(
        sql`DELETE FROM locations WHERE id = ${addr.location}`.execute(db),
      ).rejects.toMatchObject(refused);
      await expect(
        sql`DELETE FROM civic_addresses WHERE id = ${addr.address}`.execute(db),
      ).rejects.toMatchObject(refused);
      await expect(
        sql`UPDATE civic_addresses SET customer_id = ${b} WHERE id = ${addr.address}`.execute(db),
      ).rejects.toMatchObject(refused);
      const onlyNumbers = await customer('ref-f');
      expect(await violation({ e164: '+442079460038', ...held(onlyNumbers) })).toBe('accepted');
      await expect(
        sql`DELETE FROM customers WHERE id = ${onlyNumbers}`.execute(db),
      ).rejects.toMatchObject(refused);
      // Unreferenced rows still go.
      await expect(sql`DELETE FROM customers WHERE id = ${b}`.execute(db)).resolves.toBeDefined();
    });
  });
  it('R-2: the E.164 and country checks (no regex since migration 0008) accept exactly what the patterns do', async () => {
    const e164 = /^\+[1-9][0-9]{0,14}$/;
    const numbers = [
      '+1',
      '+9',
      '+0',
      '+',
      '',
      '+12345678901234',
      '+123456789012345',
      '+1234567890123456',
      '+44207946x001',
      '44207946001',
      '++44',
      '+4420 7946',
      '+٣٣',
      '+1\n',
      '+1:',
      '+1/',
      '+:',
      '+/1',
      // since 0013 the checks work on bytes: signs, multibyte and control characters anywhere
      '+1+2',
      '+12é',
      '+é12',
      '+1 ',
      '+10000000000000٣',
      '+1\t',
    ];
    let i = 0;
    for (const n of numbers) {
      const got = await violation({ e164: n, country: 'GB' });
      expect([n, got]).toEqual([n, e164.test(n) ? 'accepted' : 'numbers_e164_check']);
      i++;
    }
    const country = /^[A-Z]{2}$/;
    for (const c of ['GB', 'gb', 'G', 'GBR', 'G1', 'Ä1', 'ÄÖ', 'A[', '@A', '']) {
      const got = await violation({ e164: `+4420794600${50 + i++}`, country: c });
      expect([c, got]).toEqual([c, country.test(c) ? 'accepted' : 'numbers_country_check']);
    }
  });
  it('the capabilities check (cardinality shortcut since 0013) accepts only known capabilities', async () => {
    const cases: [string[] | null, string][] = [
      [[], 'accepted'],
      [['mobile'], 'accepted'],
      [['inboundCalling', 'outboundCalling', 'inboundSms', 'outboundSms', 'mobile'], 'accepted'],
      [['fax'], 'numbers_capabilities_check'],
      [['mobile', 'fax'], 'numbers_capabilities_check'],
      [[''], 'numbers_capabilities_check'],
    ];
    let i = 0;
    for (const [caps, want] of cases) {
      const got = await violation({ e164: `+4420794601${10 + i++}`, capabilities: caps });
      expect([caps, got]).toEqual([caps, want]);
    }
    const nullElement = await sql`INSERT INTO numbers (e164, country, kind, source, capabilities)
      VALUES ('+442079460199', 'GB', 'fixedLine', 'api', ARRAY[NULL]::text[])`
      .execute(db)
      .then(
        () => 'accepted',
        (err: { constraint?: string }) => err.constraint,
      );
    expect(nullElement).toBe('numbers_capabilities_check');
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
