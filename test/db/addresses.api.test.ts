/** Civic addresses and locations (SPEC §6): operator-kept vs synced, ELIN, R-38 for customer admins. */
import { beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/auth/principal.js';
import { createAddressesService } from '../../src/addresses/addresses.service.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let block = 0;
const ukBlock = () => {
  const b = block++;
  return (i: number) => `+44118496${String(b * 100 + i).padStart(4, '0')}`;
};
const enc = encodeURIComponent;
const numUrl = (e: string) => `/api/v1/numbers/${enc(e)}`;

interface Address {
  id: string;
  readOnly: boolean;
  locations: { id: string; isDefault: boolean; elin: string | null; description: string | null }[];
}

const newAddress = async (customerId: string | null, extra: Record<string, unknown> = {}) => {
  const res = await t.admin('POST', '/api/v1/civic-addresses', {
    customerId,
    companyName: 'Contoso',
    street: '1 Forbury Square',
    city: 'Reading',
    postalCode: 'RG1 3EB',
    country: 'GB',
    validated: true,
    locations: [
      { description: 'Floor 1', elin: '+441184960001' },
      { description: 'Floor 2', isDefault: true },
    ],
    ...extra,
  });
  expect(res.statusCode).toBe(201);
  return res.json<Address>();
};

beforeAll(async () => {
  t = await createTestApp();
});

describe('civic addresses', () => {
  it('keeps one default location per address and shows the ELIN', async () => {
    const c = await t.customer();
    const a = await newAddress(c.id);
    expect(a.readOnly).toBe(false);
    expect(a.locations.map((l) => [l.description, l.isDefault, l.elin])).toEqual([
      ['Floor 1', false, '+441184960001'],
      ['Floor 2', true, null],
    ]);
    const added = await t.admin('POST', `/api/v1/civic-addresses/${a.id}/locations`, {
      description: 'Floor 3',
      isDefault: true,
    });
    expect(added.statusCode).toBe(201);
    const defaults = added.json<Address>().locations.filter((l) => l.isDefault);
    expect(defaults.map((l) => l.description)).toEqual(['Floor 3']);
    const moved = await t.admin(
      'PATCH',
      `/api/v1/civic-addresses/${a.id}/locations/${a.locations[0]!.id}`,
      {
        isDefault: true,
      },
    );
    expect(
      moved
        .json<Address>()
        .locations.filter((l) => l.isDefault)
        .map((l) => l.description),
    ).toEqual(['Floor 1']);
  });

  it('the first location is the default when none is flagged', async () => {
    const c = await t.customer();
    const a = await newAddress(c.id, { locations: [{ description: 'A' }, { description: 'B' }] });
    expect(a.locations.map((l) => l.isDefault)).toEqual([true, false]);
  });

  it('edits operator-kept addresses with If-Match; synced addresses are read-only', async () => {
    const c = await t.customer();
    const a = await t.admin('GET', `/api/v1/civic-addresses/${(await newAddress(c.id)).id}`);
    const ok = await t.admin(
      'PATCH',
      `/api/v1/civic-addresses/${a.json().id}`,
      { city: 'Caversham' },
      { 'if-match': a.headers.etag as string },
    );
    expect(ok.json().city).toBe('Caversham');
    const stale = await t.admin(
      'PATCH',
      `/api/v1/civic-addresses/${a.json().id}`,
      { city: 'Tilehurst' },
      { 'if-match': a.headers.etag as string },
    );
    expect(stale.statusCode).toBe(412);

    // platform sync brings the customer's own addresses (ACG teamsCivicAddresses)
    const addresses = createAddressesService({ db: t.db });
    const actor = {
      principal: systemPrincipal,
      source: 'sync' as const,
      requestId: null,
      ticketId: null,
    };
    const first = await addresses.syncUpsert(actor, c.id, [
      {
        externalId: 'teams-addr-1',
        country: 'GB',
        city: 'Slough',
        validated: true,
        locations: [
          { externalId: 'teams-loc-1', description: 'Lobby', isDefault: true, elin: '1234' },
        ],
      },
    ]);
    expect(first).toEqual({ created: 1, updated: 0 });
    const again = await addresses.syncUpsert(actor, c.id, [
      {
        externalId: 'teams-addr-1',
        country: 'GB',
        city: 'Windsor',
        locations: [{ externalId: 'teams-loc-1', description: 'Lobby' }],
      },
    ]);
    expect(again).toEqual({ created: 0, updated: 1 });
    const list = (await t.admin('GET', `/api/v1/civic-addresses?customerId=${c.id}`)).json()
      .items as (Address & {
      city: string;
      source: string;
    })[];
    const synced = list.find((x) => x.source === 'sync')!;
    expect(synced).toMatchObject({ readOnly: true, city: 'Windsor' });
    expect(synced.locations).toHaveLength(1);
    const edit = await t.admin('PATCH', `/api/v1/civic-addresses/${synced.id}`, { city: 'Eton' });
    expect(edit.statusCode).toBe(409);
    expect(edit.json().code).toBe('ADDRESS_READ_ONLY');
    const del = await t.admin('DELETE', `/api/v1/civic-addresses/${synced.id}`);
    expect(del.json().code).toBe('ADDRESS_READ_ONLY');
    const loc = await t.admin('POST', `/api/v1/civic-addresses/${synced.id}/locations`, {
      description: 'x',
    });
    expect(loc.json().code).toBe('ADDRESS_READ_ONLY');
  });

  it('an address or location numbers use cannot be deleted, nor can its country change (R-3)', async () => {
    const c = await t.customer();
    const a = await newAddress(c.id);
    const n = ukBlock();
    await t.admin('POST', '/api/v1/numbers', { number: n(0) });
    await t.admin('POST', `${numUrl(n(0))}/allocate`, {
      holder: { type: 'customer', customerId: c.id },
    });
    const set = await t.admin('PATCH', numUrl(n(0)), {
      emergency: { civicAddressId: a.id, locationId: a.locations[0]!.id },
    });
    expect(set.statusCode).toBe(200);
    const del = await t.admin('DELETE', `/api/v1/civic-addresses/${a.id}`);
    expect(del.statusCode).toBe(409);
    expect(del.json()).toMatchObject({ code: 'ADDRESS_IN_USE', numbers: 1 });
    const delLoc = await t.admin(
      'DELETE',
      `/api/v1/civic-addresses/${a.id}/locations/${a.locations[0]!.id}`,
    );
    expect(delLoc.json().code).toBe('ADDRESS_IN_USE');
    const country = await t.admin('PATCH', `/api/v1/civic-addresses/${a.id}`, { country: 'IE' });
    expect(country.json()).toMatchObject({ code: 'ADDRESS_IN_USE', rule: 'R-3' });
    // the unused location goes; then, unused, the address goes
    expect(
      (await t.admin('DELETE', `/api/v1/civic-addresses/${a.id}/locations/${a.locations[1]!.id}`))
        .statusCode,
    ).toBe(200);
    await t.admin('PATCH', numUrl(n(0)), { emergency: { civicAddressId: null } });
    expect((await t.admin('DELETE', `/api/v1/civic-addresses/${a.id}`)).statusCode).toBe(204);
  });

  it("a number takes only its holder's address, and a location of that address", async () => {
    const c = await t.customer();
    const other = await t.customer();
    const mine = await newAddress(c.id);
    const theirs = await newAddress(other.id);
    const n = ukBlock();
    await t.admin('POST', '/api/v1/numbers', { number: n(0) });
    await t.admin('POST', `${numUrl(n(0))}/allocate`, {
      holder: { type: 'customer', customerId: c.id },
    });
    const wrong = await t.admin('PATCH', numUrl(n(0)), {
      emergency: { civicAddressId: theirs.id },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors[0].field).toBe('emergency.civicAddressId');
    const mixed = await t.admin('PATCH', numUrl(n(0)), {
      emergency: { civicAddressId: mine.id, locationId: theirs.locations[0]!.id },
    });
    expect(mixed.statusCode).toBe(400);
    // a location alone brings its address
    const byLoc = await t.admin('PATCH', numUrl(n(0)), {
      emergency: { locationId: mine.locations[0]!.id },
    });
    expect(byLoc.json().emergency).toMatchObject({
      civicAddressId: mine.id,
      locationId: mine.locations[0]!.id,
    });
  });
});

describe('customer-scoped principals (R-38, no leaks)', () => {
  it('read their own addresses only; 404 for others and for the operator’s', async () => {
    const c = await t.customer();
    const other = await t.customer();
    const mine = await newAddress(c.id);
    const theirs = await newAddress(other.id);
    const operators = await newAddress(null);
    const token = await t.token(['read', 'write'], `customer:${c.id}`);
    const list = (await t.call(token, 'GET', '/api/v1/civic-addresses')).json().items as Address[];
    expect(list.map((a) => a.id)).toEqual([mine.id]);
    expect(
      (await t.call(token, 'GET', `/api/v1/civic-addresses?customerId=${other.id}`)).json().items,
    ).toEqual([]);
    expect((await t.call(token, 'GET', `/api/v1/civic-addresses/${mine.id}`)).statusCode).toBe(200);
    expect((await t.call(token, 'GET', `/api/v1/civic-addresses/${theirs.id}`)).statusCode).toBe(
      404,
    );
    expect((await t.call(token, 'GET', `/api/v1/civic-addresses/${operators.id}`)).statusCode).toBe(
      404,
    );
    const create = await t.call(token, 'POST', '/api/v1/civic-addresses', {
      customerId: c.id,
      country: 'GB',
    });
    expect(create.statusCode).toBe(403);
  });

  it('R-38 changes a number’s emergency location only when customerMayUpdate, only to its own locations', async () => {
    const c = await t.customer();
    const other = await t.customer();
    const mine = await newAddress(c.id);
    const theirs = await newAddress(other.id);
    const n = ukBlock();
    await t.admin('POST', '/api/v1/numbers', { numbers: [{ number: n(0) }, { number: n(1) }] });
    await t.admin('POST', `${numUrl(n(0))}/allocate`, {
      holder: { type: 'customer', customerId: c.id },
    });
    await t.admin('POST', `${numUrl(n(1))}/allocate`, {
      holder: { type: 'customer', customerId: other.id },
    });
    await t.admin('PATCH', numUrl(n(1)), { emergency: { customerMayUpdate: true } });
    const token = await t.token(['read', 'write'], `customer:${c.id}`);
    const target = { emergency: { civicAddressId: mine.id, locationId: mine.locations[1]!.id } };

    const refused = await t.call(token, 'PATCH', numUrl(n(0)), target);
    expect(refused.statusCode).toBe(403);
    expect((await t.admin('GET', numUrl(n(0)))).json().emergency.civicAddressId).toBeNull();

    await t.admin('PATCH', numUrl(n(0)), { emergency: { customerMayUpdate: true } });
    const ok = await t.call(token, 'PATCH', numUrl(n(0)), target);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().emergency).toEqual({
      civicAddressId: mine.id,
      locationId: mine.locations[1]!.id,
      customerMayUpdate: true,
    });
    // another customer's location reads as not found, the number stays as it was
    const foreign = await t.call(token, 'PATCH', numUrl(n(0)), {
      emergency: { civicAddressId: theirs.id, locationId: theirs.locations[0]!.id },
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().detail).toContain('not found');
    expect((await t.admin('GET', numUrl(n(0)))).json().emergency.civicAddressId).toBe(mine.id);
    // the other customer's number, even though it allows updates: 404
    expect((await t.call(token, 'PATCH', numUrl(n(1)), target)).statusCode).toBe(404);
    // and the customer cannot lift the operator's restriction itself
    const lift = await t.call(token, 'PATCH', numUrl(n(0)), {
      emergency: { customerMayUpdate: false },
    });
    expect(lift.statusCode).toBe(403);
  });
});
