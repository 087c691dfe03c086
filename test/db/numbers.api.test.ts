/** Numbers API: adding, listing (SPEC §9), ETag, Idempotency-Key, bulk actions, pool allocation. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let site: { id: string };
let c1: { id: string };
let c2: { id: string };
let range: { id: string };
const n = (i: number) => `+44161496${String(i).padStart(4, '0')}`; // Manchester drama range
const url = (e164: string, suffix = '') => `/api/v1/numbers/${encodeURIComponent(e164)}${suffix}`;
type Item = { e164: string; status: string };

beforeAll(async () => {
  t = await createTestApp();
  site = await t.site({ country: 'GB' });
  c1 = await t.customer();
  c2 = await t.customer();
  range = await t.range({ start: n(0), count: 500, siteId: site.id });
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(100), n(101), n(102)],
    holder: { type: 'customer', customerId: c1.id },
  });
  await t.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(101)] });
});

describe('adding numbers (R-2, R-3)', () => {
  it('normalises national input with a country and stores E.164', async () => {
    const res = await t.admin('POST', '/api/v1/numbers', {
      number: '020 7946 0123',
      country: 'GB',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().items[0]).toMatchObject({
      e164: '+442079460123',
      country: 'GB',
      kind: 'fixedLine',
      status: 'available',
    });
    expect(res.headers.location).toBe('/api/v1/numbers/%2B442079460123');
  });

  it('adds a list all or nothing and reports each invalid entry', async () => {
    const res = await t.admin('POST', '/api/v1/numbers', {
      numbers: [
        { number: '+442079460200' },
        { number: '4.42079E+11' },
        { number: '+44 20 7946 0201' },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { field: 'numbers[1]', message: expect.stringContaining('SCIENTIFIC_NOTATION') },
    ]);
    expect((await t.admin('GET', url('+442079460200'))).statusCode).toBe(404);
  });

  it('refuses a number that exists already (409) and a number of another country at a site (R-3)', async () => {
    const dup = await t.admin('POST', '/api/v1/numbers', { number: n(1) });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'ALREADY_EXISTS', existing: [n(1)] });
    const us = await t.admin('POST', '/api/v1/numbers', {
      number: '+12015550123',
      siteId: site.id,
    });
    expect(us.statusCode).toBe(400);
    expect(us.json().errors[0].message).toContain('R-3');
  });

  it('refuses mass assignment of status, holder or etag (strict schemas)', async () => {
    for (const extra of [{ status: 'active' }, { holder: { type: 'operator' } }, { etag: '"9"' }]) {
      const res = await t.admin('POST', '/api/v1/numbers', { number: '+442079460300', ...extra });
      expect(res.statusCode).toBe(400);
      const patch = await t.admin('PATCH', url(n(5)), extra);
      expect(patch.statusCode).toBe(400);
    }
    expect((await t.admin('GET', url(n(5)))).json()).toMatchObject({
      status: 'available',
      holder: null,
    });
  });
});

describe('listing (SPEC §9)', () => {
  it('filters by status, holder and customer', async () => {
    const reserved = (
      await t.admin('GET', `/api/v1/numbers?status=reserved&customerId=${c1.id}`)
    ).json();
    expect(reserved.items.map((i: Item) => i.e164)).toEqual([n(100), n(102)]);
    const both = (
      await t.admin('GET', `/api/v1/numbers?status=reserved,active&holder=customer&total=true`)
    ).json();
    expect(both.total).toBe(3);
    expect((await t.admin('GET', `/api/v1/numbers?customerId=${c2.id}`)).json().items).toEqual([]);
    const bad = await t.admin('GET', '/api/v1/numbers?status=gone');
    expect(bad.statusCode).toBe(400);
  });

  it('pages with a cursor through every number exactly once, in both orders', async () => {
    for (const sort of ['e164', '-e164']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `/api/v1/numbers?rangeId=${range.id}&limit=137&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await t.admin('GET', q)).json();
        seen.push(...page.items.map((i: Item) => i.e164));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(500);
      expect(new Set(seen).size).toBe(500);
      const sorted = [...seen].sort();
      expect(seen).toEqual(sort === 'e164' ? sorted : sorted.reverse());
    }
  });

  it('finds numbers by digits anywhere in the number', async () => {
    const res = (await t.admin('GET', '/api/v1/numbers?q=49600 42&total=true')).json();
    expect(res.items.map((i: Item) => i.e164)).toEqual([n(42)]);
    const many = (
      await t.admin('GET', `/api/v1/numbers?q=99&rangeId=${range.id}&total=true`)
    ).json();
    const expected = Array.from({ length: 500 }, (_, i) => n(i)).filter((e) => e.includes('99'));
    expect(many.total).toBe(expected.length);
  });

  it('treats a search starting with + as the start of the number', async () => {
    const res = (
      await t.admin('GET', `/api/v1/numbers?q=${encodeURIComponent('+44161496004')}&total=true`)
    ).json();
    expect(res.total).toBe(10);
    expect(res.items.map((i: Item) => i.e164)).toEqual(
      Array.from({ length: 10 }, (_, i) => n(40 + i)),
    );
  });

  it('caps the page size at 1000', async () => {
    expect((await t.admin('GET', '/api/v1/numbers?limit=1001')).statusCode).toBe(400);
  });

  it('shows cooling-off numbers under their own status', async () => {
    await t.admin('POST', url(n(200), '/allocate'), { holder: { type: 'operator' } });
    await t.admin('POST', url(n(200), '/release'));
    const cooling = (await t.admin('GET', '/api/v1/numbers?status=coolingOff')).json().items;
    expect(cooling.map((i: Item) => i.e164)).toEqual([n(200)]);
    const available = (
      await t.admin('GET', `/api/v1/numbers?status=available&q=${n(200).slice(1)}`)
    ).json().items;
    expect(available).toEqual([]);
  });
});

describe('ETag and If-Match', () => {
  it('two PATCHes with one ETag: one succeeds, the other gets 412', async () => {
    const get = await t.admin('GET', url(n(10)));
    const etag = get.headers.etag as string;
    expect(etag).toBe(get.json().etag);
    const first = await t.admin(
      'PATCH',
      url(n(10)),
      { serviceInfo: 'first' },
      { 'if-match': etag },
    );
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).not.toBe(etag);
    const second = await t.admin(
      'PATCH',
      url(n(10)),
      { serviceInfo: 'second' },
      { 'if-match': etag },
    );
    expect(second.statusCode).toBe(412);
    expect(second.json().code).toBe('PRECONDITION_FAILED');
    expect((await t.admin('GET', url(n(10)))).json().serviceInfo).toBe('first');
  });

  it('lifecycle actions honour If-Match too', async () => {
    const res = await t.admin(
      'POST',
      url(n(11), '/lock'),
      { reason: 'x' },
      { 'if-match': '"999"' },
    );
    expect(res.statusCode).toBe(412);
    expect((await t.admin('GET', url(n(11)))).json().locked).toBe(false);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer and has one effect', async () => {
    const body = { holder: { type: 'customer', customerId: c2.id }, count: 2, siteId: site.id };
    const headers = { 'idempotency-key': 'alloc-1' };
    const first = await t.admin('POST', '/api/v1/numbers/allocate', body, headers);
    const again = await t.admin('POST', '/api/v1/numbers/allocate', body, headers);
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const held = (await t.admin('GET', `/api/v1/numbers?customerId=${c2.id}&total=true`)).json();
    expect(held.total).toBe(2);
  });

  it('the same key with another body is 422 and does nothing', async () => {
    const headers = { 'idempotency-key': 'lock-1' };
    await t.admin('POST', url(n(20), '/lock'), { reason: 'a' }, headers);
    const res = await t.admin('POST', url(n(21), '/lock'), { reason: 'a' }, headers);
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await t.admin('GET', url(n(21)))).json().locked).toBe(false);
  });

  it('20 concurrent replays of one key: one effect, identical answers', async () => {
    const body = { holder: { type: 'operator' }, count: 1, rangeId: range.id };
    const headers = { 'idempotency-key': 'race-1' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => t.admin('POST', '/api/v1/numbers/allocate', body, headers)),
    );
    expect(new Set(answers.map((a) => a.statusCode))).toEqual(new Set([200]));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    const events = await t.db
      .selectFrom('audit_events')
      .select('object_id')
      .where('action', '=', 'number.allocate')
      .where('request_id', 'is not', null)
      .execute();
    const allocated = answers[0]!.json().items[0].e164 as string;
    expect(events.filter((e) => e.object_id === allocated)).toHaveLength(1);
  });
});

describe('bulk actions (SPEC §4)', () => {
  it('answers per number; refused numbers are untouched, the rest applied', async () => {
    const res = await t.admin('POST', '/api/v1/numbers/bulk/activate', {
      numbers: [n(100), n(101), n(300), '+449999'],
    });
    expect(res.statusCode).toBe(200);
    const byNumber = Object.fromEntries(
      res.json().results.map((r: { e164: string }) => [r.e164, r]),
    );
    expect(byNumber[n(100)]).toMatchObject({ ok: true, status: 'active' });
    expect(byNumber[n(101)]).toMatchObject({ ok: false, code: 'NOT_RESERVED' });
    expect(byNumber[n(300)]).toMatchObject({ ok: false, code: 'NOT_RESERVED' });
    expect(byNumber['+449999']).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(res.json().summary).toEqual({ ok: 1, failed: 3 });
  });

  it('runs more than 1000 numbers in one call as a job: 202 + Location (SPEC §4, issue 3)', async () => {
    const numbers = Array.from({ length: 1001 }, (_, i) => `+4420794${String(i).padStart(5, '0')}`);
    const res = await t.admin('POST', '/api/v1/numbers/bulk/lock', { numbers, reason: 'x' });
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe(`/api/v1/jobs/${res.json<{ id: string }>().id}`);
    expect(res.json()).toMatchObject({ kind: 'numbers.bulk', status: 'queued' });
  });

  it('two numbers of one batch cannot both become the same holder’s main at a site (R-21)', async () => {
    const c = await t.customer();
    await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: [n(400), n(401)],
      holder: { type: 'customer', customerId: c.id },
    });
    const res = await t.admin('POST', '/api/v1/numbers/bulk/setMain', {
      numbers: [n(400), n(401)],
    });
    const results = res.json().results as { ok: boolean; code?: string }[];
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]!.code).toBe('MAIN_NUMBER_EXISTS');
  });
});

describe('allocation from the pool', () => {
  it('takes the lowest available numbers, skipping locked and cooling-off ones', async () => {
    const s = await t.site({ country: 'GB' });
    await t.range({ start: '+441174960000', count: 10, siteId: s.id });
    await t.admin('POST', url('+441174960000', '/lock'), { reason: 'vanity' });
    await t.admin('POST', url('+441174960001', '/allocate'), { holder: { type: 'operator' } });
    await t.admin('POST', url('+441174960001', '/release'));
    const res = await t.admin('POST', '/api/v1/numbers/allocate', {
      holder: { type: 'operator' },
      count: 2,
      siteId: s.id,
    });
    expect(res.json().items.map((i: Item) => i.e164)).toEqual(['+441174960002', '+441174960003']);
  });

  it('all or nothing: too few numbers changes nothing and says needed vs available', async () => {
    const s = await t.site({ country: 'GB' });
    await t.range({ start: '+441184960000', count: 5, siteId: s.id });
    const res = await t.admin('POST', '/api/v1/numbers/allocate', {
      holder: { type: 'operator' },
      count: 6,
      siteId: s.id,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'NOT_ENOUGH_NUMBERS', needed: 6, available: 5 });
    const reserved = (
      await t.admin('GET', `/api/v1/numbers?siteId=${s.id}&status=reserved&total=true`)
    ).json();
    expect(reserved.total).toBe(0);
  });

  it('concurrent allocators never get the same number', async () => {
    const s = await t.site({ country: 'GB' });
    await t.range({ start: '+441314960000', count: 200, siteId: s.id });
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        t.admin('POST', '/api/v1/numbers/allocate', {
          holder: { type: 'customer', customerId: c1.id },
          count: 3,
          siteId: s.id,
        }),
      ),
    );
    const got = answers.flatMap((a) =>
      a.statusCode === 200 ? a.json().items.map((i: Item) => i.e164) : [],
    );
    expect(got).toHaveLength(120);
    expect(new Set(got).size).toBe(120);
  });
});
