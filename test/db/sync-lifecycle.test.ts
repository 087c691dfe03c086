/**
 * SPEC §3.3 sync states beyond the first push, against the emulators over
 * loopback: a tenant admin deletes a number → refresh shows it (changing
 * nothing) → applied: markedForRemoval → approve → released, cooling off; the
 * reactivate path; the operator's release through releaseRequested; drift,
 * assignments and numbers missing here; failures that end visibly `failed`
 * and are retried; who may see and do what.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { acgContract, webexContract } from '../../src/emulators/contract.js';
import { expectAllConform } from '../unit/sync-support.js';
import { createSyncEnv } from './sync-env.js';

const env = await createSyncEnv();
const { t, acg, acgUrl, webex, webexUrl, drainSync, syncedService, putOnService, control } = env;

const num = (e164: string) => t.admin('GET', `/api/v1/numbers/${e164}`);

async function refresh(body: Record<string, unknown>) {
  const res = await t.admin('POST', '/api/v1/sync/refresh', body);
  expect(res.statusCode, res.body).toBe(202);
  const jobId = res.json<{ id: string }>().id;
  await drainSync();
  const job = await t.admin('GET', `/api/v1/jobs/${jobId}`);
  expect(job.json().status).toBe('succeeded');
  const diffs = await t.admin('GET', `/api/v1/sync/differences?refreshJobId=${jobId}&limit=1000`);
  expect(diffs.statusCode).toBe(200);
  return diffs.json<{
    items: {
      id: string;
      e164: string;
      kind: string;
      details: Record<string, unknown>;
      status: string;
    }[];
  }>().items;
}

async function apply(ids: string[]) {
  const res = await t.admin('POST', '/api/v1/sync/differences/apply', { ids });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ results: { id: string; ok: boolean; outcome?: string; code?: string }[] }>();
}

async function teamsNumbers(prefix: string, count: number) {
  const s = await syncedService('teamsOperatorConnect');
  await putOnService(s.customer.id, s.serviceId, prefix, count);
  await drainSync();
  expect(await env.syncCounts(prefix)).toEqual({ active: { n: count, pending: 0 } });
  return s;
}

describe('SPEC §3.3 tenant deletion', () => {
  it('refresh shows the deletion without changing anything; applied → markedForRemoval; approve → released, cooling off', async () => {
    const s = await teamsNumbers('+44207400', 3);
    const e164 = '+442074000001';
    await control(acgUrl, 'tenant-delete', { telephoneNumber: e164 });
    const before = await num(e164);

    const diffs = await refresh({ customerId: s.customer.id });
    expect(diffs.map((d) => [d.e164, d.kind, d.status])).toEqual([[e164, 'tenantDeleted', 'open']]);
    // A refresh changes nothing in Numbat.
    const unchanged = await num(e164);
    expect(unchanged.json()).toEqual(before.json());
    expect(unchanged.json().sync.state).toBe('active');

    // Approving is refused until the difference is applied (SPEC §3.3 order).
    const early = await t.admin('POST', `/api/v1/numbers/${e164}/sync/approve-removal`);
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('SYNC_STATE');

    const applied = await apply([diffs[0]!.id]);
    expect(applied.results).toEqual([
      expect.objectContaining({ ok: true, outcome: 'markedForRemoval' }),
    ]);
    expect((await num(e164)).json()).toMatchObject({
      status: 'active',
      sync: { state: 'markedForRemoval' },
    });
    // Applying twice is refused: the difference is no longer open.
    expect((await apply([diffs[0]!.id])).results[0]).toMatchObject({ ok: false, code: 'CONFLICT' });

    const approved = await t.admin('POST', `/api/v1/numbers/${e164}/sync/approve-removal`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({
      status: 'coolingOff',
      holder: null,
      serviceId: null,
      sync: null,
      pendingOperation: null,
    });
    expect(approved.json().coolingOffUntil).toBe('2026-04-15T12:00:00.000Z');
    // Nothing was pushed or deleted upstream for it: the tenant already removed it.
    expect(acg.state.numbers.has(e164)).toBe(false);
    expect(
      await sql`SELECT 1 FROM sync_outbox WHERE e164 = ${e164}`
        .execute(t.db)
        .then((r) => r.rows.length),
    ).toBe(0);
    const audit = await t.db
      .selectFrom('audit_events')
      .select('action')
      .where('object_id', '=', e164)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'number.sync.markedForRemoval',
        'number.sync.approveRemoval',
        'number.release',
      ]),
    );
    // The other numbers are untouched.
    expect(await env.syncCounts('+44207400')).toEqual({
      active: { n: 2, pending: 0 },
      none: { n: 1, pending: 0 },
    });
  });

  it('reactivate: markedForRemoval → re-push → active, the number is back upstream', async () => {
    const s = await teamsNumbers('+44207410', 2);
    const e164 = '+442074100000';
    await control(acgUrl, 'tenant-delete', { telephoneNumber: e164 });
    const diffs = await refresh({ serviceId: s.serviceId });
    expect(diffs.map((d) => d.kind)).toEqual(['tenantDeleted']);
    await apply(diffs.map((d) => d.id));

    const re = await t.admin('POST', `/api/v1/numbers/${e164}/sync/reactivate`);
    expect(re.statusCode, re.body).toBe(200);
    expect(re.json()).toMatchObject({
      sync: { state: 'markedForRemoval' },
      pendingOperation: { action: 'syncPush' },
    });
    // R-13 while the re-push is in flight.
    expect(
      (await t.admin('POST', `/api/v1/numbers/${e164}/sync/approve-removal`)).json().code,
    ).toBe('PENDING_OPERATION');
    await drainSync();
    expect((await num(e164)).json()).toMatchObject({
      status: 'active',
      sync: { state: 'active', errors: [] },
      pendingOperation: null,
    });
    expect(acg.state.numbers.has(e164)).toBe(true);
    // A later refresh finds nothing to report.
    expect(await refresh({ serviceId: s.serviceId })).toEqual([]);
  });
});

describe('SPEC §8 transactional outbox', () => {
  it('a PATCH of a field the platform sees pushes it; other fields do not; leaving the synced service deletes it upstream', async () => {
    await teamsNumbers('+44207490', 2);
    const e164 = '+442074900000';
    const p = await t.admin('PATCH', `/api/v1/numbers/${e164}`, { customSipHeader: 'hdr-9' });
    expect(p.statusCode, p.body).toBe(200);
    expect(p.json()).toMatchObject({
      sync: { state: 'active' },
      pendingOperation: { action: 'syncPush' },
    });
    await drainSync();
    expect(acg.state.numbers.get(e164)!.resource.configuration).toEqual({
      customSipHeader: 'hdr-9',
    });
    expect((await num(e164)).json().pendingOperation).toBeNull();
    // The SBC's SIP connection is not the platform's business: no push.
    const q = await t.admin('PATCH', `/api/v1/numbers/${e164}`, { sipConnection: 'sbc-2' });
    expect(q.statusCode, q.body).toBe(200);
    expect(q.json().pendingOperation).toBeNull();
    const r = await t.admin('PATCH', `/api/v1/numbers/${e164}`, { serviceId: null });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ sync: null, pendingOperation: { action: 'syncDelete' } });
    await drainSync();
    expect(acg.state.numbers.has(e164)).toBe(false);
    expect(acg.state.numbers.has('+442074900001')).toBe(true);
    expect((await num(e164)).json().pendingOperation).toBeNull();
  });
});

describe('SPEC §3.2 release of a synced number', () => {
  it('active → releaseRequested → (platform confirms) released, cooling off; the platform no longer has it', async () => {
    await teamsNumbers('+44207420', 2);
    const e164 = '+442074200001';
    const res = await t.admin('POST', `/api/v1/numbers/${e164}/release`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'active',
      sync: { state: 'releaseRequested' },
      pendingOperation: { action: 'syncRelease' },
    });
    expect(acg.state.numbers.has(e164)).toBe(true);
    await drainSync();
    expect((await num(e164)).json()).toMatchObject({
      status: 'coolingOff',
      holder: null,
      sync: null,
      pendingOperation: null,
    });
    expect(acg.state.numbers.has(e164)).toBe(false);
    expect(acg.state.numbers.has('+442074200000')).toBe(true);
  });

  it('Webex refuses to delete a location main number: the release ends failed with the reason, the number stays', async () => {
    const s = await syncedService('webexCloudConnect', { mode: 'integrated' });
    await putOnService(s.customer.id, s.serviceId, '+44207430', 2);
    await drainSync();
    const e164 = '+442074300000';
    await control(webexUrl, 'locations', { locationId: s.serviceId, mainNumber: e164 });
    await t.admin('POST', `/api/v1/numbers/${e164}/release`);
    await drainSync();
    const n = (await num(e164)).json();
    expect(n).toMatchObject({
      status: 'active',
      pendingOperation: null,
      sync: { state: 'failed' },
    });
    expect(n.sync.errors[0].code).toBe('WEBEX_MAIN_NUMBER_NOT_REMOVABLE');
    expect(webex.state.locations.get(s.serviceId)!.numbers.has(e164)).toBe(true);
  });
});

describe('SPEC §8 refresh shows drift before it changes anything', () => {
  it('assignment, field drift and numbers missing here are listed; applying takes the platform assignment, re-pushes fields, adopts the number', async () => {
    const s = await teamsNumbers('+44207440', 3);
    await control(acgUrl, 'assignment', {
      telephoneNumber: '+442074400000',
      assignmentStatus: 'assigned',
    });
    const drifted = acg.state.numbers.get('+442074400001')!;
    (
      drifted.resource.serviceDetails as {
        teamsOperatorConnect: { configuration: { usage: string } };
      }
    ).teamsOperatorConnect.configuration.usage = 'ConferenceAssignment';
    // A number someone put into the account on the platform side.
    const extra = {
      ...acg.state.numbers.get('+442074400002')!.resource,
      telephoneNumber: '+442074409999',
    };
    acg.state.numbers.set('+442074409999', { resource: extra, etag: '"x"' });
    const versions = await t.db
      .selectFrom('numbers')
      .select(['e164', 'version'])
      .where('e164', 'like', '+44207440%')
      .orderBy('e164')
      .execute();

    const diffs = await refresh({ serviceId: s.serviceId });
    const byKind = Object.fromEntries(diffs.map((d) => [d.kind, d]));
    expect(Object.keys(byKind).sort()).toEqual(['assignment', 'fieldDrift', 'missingHere']);
    expect(byKind.assignment!.e164).toBe('+442074400000');
    expect(byKind.fieldDrift).toMatchObject({
      e164: '+442074400001',
      details: { usage: { numbat: null, platform: 'conference' } },
    });
    expect(byKind.missingHere!.e164).toBe('+442074409999');
    // Nothing changed in Numbat.
    expect(
      await t.db
        .selectFrom('numbers')
        .select(['e164', 'version'])
        .where('e164', 'like', '+44207440%')
        .orderBy('e164')
        .execute(),
    ).toEqual(versions);

    // Filters and paging.
    const page1 = await t.admin('GET', `/api/v1/sync/differences?serviceId=${s.serviceId}&limit=2`);
    expect(page1.json().items).toHaveLength(2);
    const page2 = await t.admin(
      'GET',
      `/api/v1/sync/differences?serviceId=${s.serviceId}&limit=2&cursor=${page1.json().nextCursor}`,
    );
    expect(page2.json().items).toHaveLength(1);
    expect(page2.json().nextCursor).toBeNull();
    const onlyDrift = await t.admin(
      'GET',
      `/api/v1/sync/differences?serviceId=${s.serviceId}&kind=fieldDrift`,
    );
    expect(onlyDrift.json().items.map((d: { e164: string }) => d.e164)).toEqual(['+442074400001']);

    const applied = await apply(diffs.map((d) => d.id));
    expect(applied.results.every((r) => r.ok)).toBe(true);
    expect((await num('+442074400000')).json()).toMatchObject({
      status: 'assigned',
      assignment: { type: 'user' },
    });
    expect((await num('+442074409999')).json()).toMatchObject({
      status: 'active',
      source: 'sync',
      serviceId: s.serviceId,
      holder: { type: 'customer', customerId: s.customer.id },
      sync: { state: 'active' },
    });
    await drainSync();
    const usage = (
      acg.state.numbers.get('+442074400001')!.resource.serviceDetails as {
        teamsOperatorConnect: { configuration: { usage: string } };
      }
    ).teamsOperatorConnect.configuration.usage;
    expect(usage).toBe('CallingUserAssignment');
    expect(await refresh({ serviceId: s.serviceId })).toEqual([]);
  });
});

describe('failures end visibly failed and can be retried', () => {
  it("a number the platform refuses is `failed` with the platform's errors; reactivate retries it", async () => {
    const s = await syncedService('teamsOperatorConnect');
    await control(acgUrl, 'provisioning-failures', {
      numbers: ['+442074500001'],
      code: 'InvalidCivicAddress',
      message: 'civic address not validated',
    });
    await putOnService(s.customer.id, s.serviceId, '+44207450', 3);
    await drainSync();
    const n = (await num('+442074500001')).json();
    expect(n.sync).toMatchObject({
      state: 'failed',
      errors: [{ code: 'InvalidCivicAddress', message: 'civic address not validated' }],
    });
    const job = await t.admin('GET', `/api/v1/jobs/${n.sync.upstreamJobId}`);
    expect(job.json()).toMatchObject({
      status: 'partiallySucceeded',
      progress: { done: 3, failed: 1 },
    });
    expect(
      (await t.admin('POST', '/api/v1/numbers/+442074500001/sync/reactivate')).statusCode,
    ).toBe(200);
    await drainSync();
    expect((await num('+442074500001')).json().sync).toMatchObject({ state: 'active', errors: [] });
  });

  it('a platform that cannot be reached ends the job failed with the numbers failed; POST /jobs/{id}/retry delivers them', async () => {
    const s = await syncedService('webexCloudConnect', { mode: 'integrated' });
    await putOnService(s.customer.id, s.serviceId, '+44207460', 4);
    const noWebex = env.makeWorker({ ...env.syncConfig, webex: null });
    await drainSync(noWebex);
    const job = await t.db
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'sync.push')
      .where('customer_id', '=', s.customer.id)
      .executeTakeFirstOrThrow();
    expect(job.status).toBe('failed');
    expect(job.error).toContain('SYNC_NOT_CONFIGURED');
    const n = (await num('+442074600000')).json();
    expect(n).toMatchObject({ pendingOperation: null, sync: { state: 'failed' } });
    expect(n.sync.errors[0].message).toContain('SYNC_NOT_CONFIGURED');
    const retry = await t.admin('POST', `/api/v1/jobs/${job.id}/retry`);
    expect(retry.statusCode, retry.body).toBeLessThan(300);
    await drainSync();
    expect(await env.syncCounts('+44207460')).toEqual({ active: { n: 4, pending: 0 } });
    expect(webex.state.locations.get(s.serviceId)!.numbers.size).toBe(4);
  });
});

describe('SPEC §5 consents arrive by refresh', () => {
  it('an all-customers refresh records the consents the platform reports (source sync) and leaves the operator relationship alone', async () => {
    const tenantId = 'b1c2d3e4-0000-4000-8000-00000000c0de';
    await control(acgUrl, 'consents', {
      tenantId,
      consentedCountries: ['UK', 'IE'],
      contacts: [{ fullName: 'Ada Admin', email: 'ada@example.com' }, { fullName: 'no mail' }],
    });
    await refresh({});
    const c = await t.admin('GET', `/api/v1/consents/${tenantId}`);
    expect(c.statusCode, c.body).toBe(200);
    expect(c.json()).toMatchObject({ tenantId, consentedCountries: ['GB', 'IE'] });
    expect(c.json().contacts).toEqual([expect.objectContaining({ email: 'ada@example.com' })]);
    const created = await t.db
      .selectFrom('consents')
      .select(['source', 'version'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    expect(created.source).toBe('sync');
    // The operator's side is the operator's: a later refresh keeps it.
    const rel = await t.admin('POST', `/api/v1/consents/${tenantId}/relationship`, {
      status: 'customerContacted',
    });
    expect(rel.statusCode, rel.body).toBeLessThan(300);
    await refresh({});
    const again = await t.admin('GET', `/api/v1/consents/${tenantId}`);
    expect(again.json()).toMatchObject({
      consentedCountries: ['GB', 'IE'],
      relationship: { status: 'customerContacted' },
    });
  });
});

describe('refresh schedule', () => {
  it('a scheduled refresh queues its next run when it runs; bad input is refused; cancelling the queued run stops it', async () => {
    const s = await teamsNumbers('+44207510', 1);
    const bad = await t.admin('POST', '/api/v1/sync/refresh', { repeatEveryMinutes: 1 });
    expect(bad.statusCode).toBe(400);
    const res = await t.admin('POST', '/api/v1/sync/refresh', {
      serviceId: s.serviceId,
      repeatEveryMinutes: 60,
    });
    expect(res.statusCode, res.body).toBe(202);
    const first = res.json<{ id: string }>().id;
    await drainSync();
    const done = await t.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', first)
      .executeTakeFirstOrThrow();
    expect(done.status).toBe('succeeded');
    const nextId = (done.result as { nextJobId: string }).nextJobId;
    const next = await t.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', nextId)
      .executeTakeFirstOrThrow();
    expect(next).toMatchObject({
      kind: 'sync.refresh',
      status: 'queued',
      params: { serviceId: s.serviceId, repeatMinutes: 60 },
    });
    const minutesAhead = (next.run_after.getTime() - done.finished_at!.getTime()) / 60_000;
    expect(minutesAhead).toBeGreaterThan(59);
    expect(minutesAhead).toBeLessThan(61);
    expect((await t.admin('POST', `/api/v1/jobs/${nextId}/cancel`)).statusCode).toBeLessThan(300);
    expect(
      (
        await t.db
          .selectFrom('jobs')
          .select('status')
          .where('id', '=', nextId)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('cancelled');
  });
});

describe('permissions (R-1)', () => {
  it('customer-scoped callers see only their differences, get 404 for other numbers and 403 for operator decisions; read-only cannot apply', async () => {
    const s = await teamsNumbers('+44207470', 2);
    const other = await teamsNumbers('+44207480', 1);
    await control(acgUrl, 'tenant-delete', { telephoneNumber: '+442074700000' });
    await control(acgUrl, 'tenant-delete', { telephoneNumber: '+442074800000' });
    const mine = await refresh({ customerId: s.customer.id });
    const theirs = await refresh({ customerId: other.customer.id });
    const cust = await t.token(['read', 'write'], `customer:${s.customer.id}`);
    const list = await t.call(cust, 'GET', '/api/v1/sync/differences?limit=1000');
    const ids = list.json().items.map((d: { id: string }) => d.id);
    expect(ids).toContain(mine[0]!.id);
    expect(ids).not.toContain(theirs[0]!.id);
    const applyTheirs = await t.call(cust, 'POST', '/api/v1/sync/differences/apply', {
      ids: [theirs[0]!.id],
    });
    expect(applyTheirs.json().results[0]).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const applyMine = await t.call(cust, 'POST', '/api/v1/sync/differences/apply', {
      ids: [mine[0]!.id],
    });
    expect(applyMine.json().results[0]).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(
      (await t.call(cust, 'POST', '/api/v1/numbers/+442074800000/sync/reactivate')).statusCode,
    ).toBe(404);
    expect(
      (await t.call(cust, 'POST', '/api/v1/numbers/+442074700000/sync/reactivate')).statusCode,
    ).toBe(403);
    expect(
      (await t.call(cust, 'POST', '/api/v1/sync/refresh', { customerId: other.customer.id }))
        .statusCode,
    ).toBe(404);
    const reader = await t.token(['read']);
    expect(
      (await t.call(reader, 'POST', '/api/v1/sync/differences/apply', { ids: [mine[0]!.id] }))
        .statusCode,
    ).toBe(403);
    expect((await t.call(reader, 'GET', '/api/v1/sync/differences')).statusCode).toBe(200);
    // Bad input: a clear error, nothing applied.
    const bad = await t.admin('POST', '/api/v1/sync/differences/apply', { ids: ['nope'] });
    expect(bad.statusCode).toBe(400);
    expect((await num('+442074700000')).json().sync.state).toBe('active');
  });
});

describe('contract', () => {
  it('every request the connectors sent in this file conforms to the reference files', () => {
    expect(expectAllConform('acg', acg.requests, acgContract())).toBeGreaterThan(20);
    expect(expectAllConform('webex', webex.requests, webexContract())).toBeGreaterThan(3);
  });
});
