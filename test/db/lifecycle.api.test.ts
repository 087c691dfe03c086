/**
 * The foundation scenario through the API: a site, a customer, a 1,000-number
 * range, every lifecycle action, and every refusal of SPEC §3.2 as 409 + code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let site: { id: string };
let customer: { id: string };
let range: { id: string; start: string; end: string };
const holder = () => ({ type: 'customer', customerId: customer.id });
const n = (i: number) => `+44207946${String(i).padStart(4, '0')}`;

async function act(e164: string, action: string, body?: unknown, headers?: Record<string, string>) {
  return t.admin('POST', `/api/v1/numbers/${encodeURIComponent(e164)}/${action}`, body, headers);
}
async function status(e164: string) {
  return (await t.admin('GET', `/api/v1/numbers/${encodeURIComponent(e164)}`)).json<{
    status: string;
  }>().status;
}

beforeAll(async () => {
  t = await createTestApp({ coolingOffDaysByCountry: { GB: 30 } });
  site = await t.site({ name: 'London Bridge', country: 'GB' });
  customer = await t.customer();
  range = await t.range({ start: n(0), count: 1000, siteId: site.id });
});

describe('range creation (R-4)', () => {
  it('creates all 1,000 numbers, available, with utilisation counts', async () => {
    expect(range.end).toBe(n(999));
    const res = await t.admin('GET', `/api/v1/ranges/${range.id}`);
    expect(res.json().utilisation).toMatchObject({ total: 1000, available: 1000, reserved: 0 });
    const num = (await t.admin('GET', `/api/v1/numbers/${encodeURIComponent(n(5))}`)).json();
    expect(num).toMatchObject({
      status: 'available',
      country: 'GB',
      kind: 'fixedLine',
      rangeId: range.id,
      siteId: site.id,
    });
  });

  it('refuses an overlapping range and changes nothing', async () => {
    const res = await t.admin('POST', '/api/v1/ranges', {
      name: 'overlap',
      start: n(990),
      count: 20,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('RANGE_OVERLAP');
    expect(
      (await t.admin('GET', `/api/v1/numbers/${encodeURIComponent(n(1000))}`)).statusCode,
    ).toBe(404);
  });

  it('refuses more than 1,000,000 numbers and reversed ends with INVALID_RANGE (R-4)', async () => {
    const big = await t.admin('POST', '/api/v1/ranges', {
      name: 'big',
      start: '+442071000000',
      count: 1_000_001,
    });
    expect(big.statusCode).toBe(422);
    expect(big.json()).toMatchObject({ code: 'INVALID_RANGE', rule: 'R-4' });
    const rev = await t.admin('POST', '/api/v1/ranges', {
      name: 'rev',
      start: '+442071000010',
      end: '+442071000001',
    });
    expect(rev.json()).toMatchObject({ code: 'INVALID_RANGE' });
  });

  it('refuses a range in another country than its site (R-3)', async () => {
    const res = await t.admin('POST', '/api/v1/ranges', {
      name: 'us',
      start: '+12015550100',
      count: 10,
      siteId: site.id,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('COUNTRY_MISMATCH');
  });
});

describe('the whole lifecycle of one number', () => {
  it('allocate → activate → assign → unassign → deactivate → deallocate', async () => {
    const e = n(1);
    expect((await act(e, 'allocate', { holder: holder() })).json()).toMatchObject({
      status: 'reserved',
      holder: holder(),
    });
    expect((await act(e, 'activate')).json().status).toBe('active');
    const assigned = await act(e, 'assign', {
      assignment: { type: 'user', targetId: 'u-1', targetName: 'Ada' },
    });
    expect(assigned.json()).toMatchObject({
      status: 'assigned',
      assignment: { type: 'user', targetId: 'u-1' },
    });
    expect((await act(e, 'unassign')).json()).toMatchObject({ status: 'active', assignment: null });
    expect((await act(e, 'deactivate')).json()).toMatchObject({
      status: 'reserved',
      holder: holder(),
    });
    expect((await act(e, 'deallocate')).json()).toMatchObject({
      status: 'available',
      holder: null,
    });
  });

  it('release puts the number into cooling off for the country’s days, then it is available again', async () => {
    const e = n(2);
    await act(e, 'allocate', { holder: holder() });
    await act(e, 'activate');
    const released = (await act(e, 'release')).json();
    expect(released).toMatchObject({
      status: 'coolingOff',
      holder: null,
      coolingOffUntil: '2026-02-14T12:00:00.000Z',
    });
    const refused = await act(e, 'allocate', { holder: holder() });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      code: 'COOLING_OFF',
      rule: 'R-10',
      until: '2026-02-14',
    });
    const saved = t.clock.now;
    t.clock.now = new Date('2026-02-14T12:00:01Z'); // no job needs to run (SPEC §3.2)
    try {
      expect(await status(e)).toBe('available');
      expect((await act(e, 'allocate', { holder: holder() })).statusCode).toBe(200);
    } finally {
      t.clock.now = saved;
    }
  });

  it('accepts an action with an empty JSON body', async () => {
    const e = n(4);
    await act(e, 'allocate', { holder: holder() });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/numbers/${encodeURIComponent(e)}/activate`,
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('active');
  });

  it('lock needs a reason, blocks allocation (R-11), and unlock frees it', async () => {
    const e = n(3);
    const noReason = await act(e, 'lock', {});
    expect(noReason.statusCode).toBe(422);
    expect(noReason.json().code).toBe('LOCK_REASON_REQUIRED');
    expect((await act(e, 'lock', { reason: 'regulator hold' })).json()).toMatchObject({
      locked: true,
      lockReason: 'regulator hold',
    });
    const refused = await act(e, 'allocate', { holder: holder() });
    expect(refused.json()).toMatchObject({ code: 'NUMBER_LOCKED', rule: 'R-11' });
    expect((await act(e, 'unlock')).json().locked).toBe(false);
    expect((await act(e, 'allocate', { holder: holder() })).statusCode).toBe(200);
  });
});

describe('every refusal of SPEC §3.2 answers 409 with its stable code', () => {
  const cases: [string, string, string[], unknown, string, string?][] = [
    // [name, number, setup actions, body, expected code, rule]
    [
      'deallocate an active number (R-14)',
      n(10),
      ['allocate', 'activate'],
      undefined,
      'NUMBER_IN_USE',
      'R-14',
    ],
    ['deallocate an available number', n(11), [], undefined, 'NOT_RESERVED'],
    ['activate an available number', n(12), [], undefined, 'NOT_RESERVED'],
    [
      'deactivate an assigned number (R-16)',
      n(13),
      ['allocate', 'activate', 'assign'],
      undefined,
      'NUMBER_ASSIGNED',
      'R-16',
    ],
    [
      'release an assigned number (R-17)',
      n(14),
      ['allocate', 'activate', 'assign'],
      undefined,
      'NUMBER_ASSIGNED',
      'R-17',
    ],
    ['assign a reserved number', n(15), ['allocate'], undefined, 'NOT_ACTIVE'],
    ['unassign an active number', n(16), ['allocate', 'activate'], undefined, 'NOT_ASSIGNED'],
    ['allocate a reserved number', n(17), ['allocate'], undefined, 'NOT_AVAILABLE'],
    ['release an available number', n(18), [], undefined, 'NOT_RESERVED'],
  ];
  const bodyFor = (action: string) =>
    action === 'allocate'
      ? { holder: holder() }
      : action === 'assign'
        ? { assignment: { type: 'user', targetId: 'x' } }
        : undefined;

  it.each(cases)('%s', async (name, e, setup, _body, code, rule) => {
    for (const a of setup) expect((await act(e, a, bodyFor(a))).statusCode).toBe(200);
    const action = name.split(' ')[0]!;
    const before = (await t.admin('GET', `/api/v1/numbers/${encodeURIComponent(e)}`)).json();
    const res = await act(e, action, bodyFor(action));
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe(code);
    if (rule) expect(res.json().rule).toBe(rule);
    // nothing changed
    const after = (await t.admin('GET', `/api/v1/numbers/${encodeURIComponent(e)}`)).json();
    expect(after.etag).toBe(before.etag);
  });

  it('allocating to a suspended customer is refused (R-12)', async () => {
    const c = await t.customer();
    await t.admin('PATCH', `/api/v1/customers/${c.id}`, { status: 'suspended' });
    const res = await act(n(20), 'allocate', { holder: { type: 'customer', customerId: c.id } });
    expect(res.json()).toMatchObject({ code: 'HOLDER_NOT_ACTIVE', rule: 'R-12' });
  });

  it('a pending operation blocks every change (R-13) and names the job', async () => {
    const e = n(21);
    await t.db
      .updateTable('numbers')
      .set({ pending_job_id: '00000000-0000-4000-8000-000000000001', pending_action: 'push' })
      .where('e164', '=', e)
      .execute();
    for (const [action, body] of [
      ['allocate', { holder: holder() }],
      ['lock', { reason: 'x' }],
    ] as const) {
      const res = await act(e, action, body);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({
        code: 'PENDING_OPERATION',
        rule: 'R-13',
        jobId: '00000000-0000-4000-8000-000000000001',
      });
      expect(res.json().detail).toContain('00000000-0000-4000-8000-000000000001');
    }
    const patch = await t.admin('PATCH', `/api/v1/numbers/${encodeURIComponent(e)}`, {
      serviceInfo: 'x',
    });
    expect(patch.json().code).toBe('PENDING_OPERATION');
  });
});

describe('main numbers (R-20..R-23)', () => {
  it('one main number per holder per site (R-21), nominated only while available/reserved (R-20)', async () => {
    const c = await t.customer();
    const h = { type: 'customer', customerId: c.id };
    await act(n(30), 'allocate', { holder: h });
    expect((await act(n(30), 'setMain')).json().mainNumber).toBe(true);
    await act(n(31), 'allocate', { holder: h });
    expect((await act(n(31), 'setMain')).json()).toMatchObject({
      code: 'MAIN_NUMBER_EXISTS',
      rule: 'R-21',
    });
    await act(n(32), 'allocate', { holder: h });
    await act(n(32), 'activate');
    expect((await act(n(32), 'setMain')).json()).toMatchObject({
      code: 'MAIN_NUMBER_STATE',
      rule: 'R-20',
    });
  });

  it('application numbers cannot be main (R-22) and an active main cannot be un-nominated (R-23)', async () => {
    await t.admin('PATCH', `/api/v1/numbers/${encodeURIComponent(n(40))}`, {
      usage: 'application',
    });
    expect((await act(n(40), 'setMain')).json()).toMatchObject({
      code: 'MAIN_NUMBER_USAGE',
      rule: 'R-22',
    });
    const c = await t.customer();
    await act(n(41), 'allocate', { holder: { type: 'customer', customerId: c.id } });
    await act(n(41), 'setMain');
    await act(n(41), 'activate');
    expect((await act(n(41), 'unsetMain')).json()).toMatchObject({
      code: 'MAIN_NUMBER_STATE',
      rule: 'R-23',
    });
    await act(n(41), 'deactivate');
    expect((await act(n(41), 'unsetMain')).json().mainNumber).toBe(false);
  });

  it('deallocate clears the main flag', async () => {
    const c = await t.customer();
    await act(n(42), 'allocate', { holder: { type: 'customer', customerId: c.id } });
    await act(n(42), 'setMain');
    expect((await act(n(42), 'deallocate')).json()).toMatchObject({
      status: 'available',
      mainNumber: false,
    });
  });
});

describe('history and audit (SPEC §11)', () => {
  it('answers who held a number, with principal, source and ticket id', async () => {
    const e = n(50);
    await act(e, 'allocate', { holder: holder() }, { 'x-ticket-id': 'CHG-1234' });
    await act(e, 'deallocate');
    const res = await t.admin('GET', `/api/v1/numbers/${encodeURIComponent(e)}/history`);
    const items = res.json().items as {
      action: string;
      ticketId: string | null;
      source: string;
      changes: Record<string, unknown>;
    }[];
    expect(items.map((i) => i.action)).toEqual([
      'number.deallocate',
      'number.allocate',
      'range.create',
    ]);
    expect(items[1]).toMatchObject({
      ticketId: 'CHG-1234',
      source: 'api',
      changes: { holder: [null, holder()] },
    });
    expect(items[0]!.changes.holder).toEqual([holder(), null]);
  });

  it('a ticket id longer than 64 characters is refused (R-36)', async () => {
    const res = await act(n(51), 'lock', { reason: 'x' }, { 'x-ticket-id': 'T'.repeat(65) });
    expect(res.statusCode).toBe(400);
    expect(await status(n(51))).toBe('available');
  });

  it('lists audit events with filters', async () => {
    const res = await t.admin(
      'GET',
      `/api/v1/audit-events?objectType=number&objectId=${encodeURIComponent(n(50))}`,
    );
    expect(res.json().items).toHaveLength(2);
    const byAction = await t.admin('GET', '/api/v1/audit-events?action=range.create');
    expect(byAction.json().items.map((i: { object: { id: string } }) => i.object.id)).toContain(
      range.id,
    );
  });
});
