/**
 * POST /api/v1/imports (SPEC §4, R-2, R-3, R-50): validate and commit phases,
 * the CSVs people really have, every malformed-input class with its exact
 * reason, duplicates and numbers already held, references, dry run, template,
 * idempotent reruns, multipart upload, and imports of ≥ 10,000 rows as jobs.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createServices } from '../../src/app.js';
import { createJobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { createTestApp } from '../support/app.js';

const t = await createTestApp();

interface Report {
  jobId: string;
  rows: number;
  valid: number;
  invalid: number;
  imported: number;
  alreadyImported: boolean;
  committed: boolean;
  invalidRows: { line: number; number: string; code: string; message: string }[];
}

function post(csv: string | Buffer, query = '', headers: Record<string, string> = {}) {
  return t.admin('POST', `/api/v1/imports${query}`, csv, {
    'content-type': 'text/csv',
    ...headers,
  });
}

async function count(where?: { source: 'import' }): Promise<number> {
  let q = t.db.selectFrom('numbers').select((eb) => eb.fn.countAll<number>().as('n'));
  if (where) q = q.where('source', '=', where.source);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

const site = await t.site({ name: 'Leeds HQ', country: 'GB' });
const parisSite = await t.site({ name: 'Paris', country: 'FR' });
const acme = await t.customer({ accountName: 'acme' });
const closed = await t.customer({ accountName: 'gone-ltd' });
await t.admin('PATCH', `/api/v1/customers/${closed.id}`, { status: 'suspended' });
const range = await t.range({ name: 'london-block', start: '+442030500000', count: 100 });
// Already in the inventory.
await t.admin('POST', '/api/v1/numbers', { number: '+442030600000' });
// A gap in the range (a range creates all its numbers): the import may fill it.
const removed = await t.admin('DELETE', '/api/v1/numbers/%2B442030500007');
if (removed.statusCode !== 204) throw new Error(`setup: ${removed.body}`);

/**
 * One file with every class: Excel-style (BOM, `;`, CRLF), quoted fields,
 * every accepted spelling of a number and every refusal.
 */
const mixed = [
  'Number;Country;Site;Customer;Range;Usage;Capabilities;CAC;Service Info;Locked',
  '+442030400001;;Leeds HQ;;;user;inboundCalling|outboundCalling;2;"quoted; with delimiter";',
  '020 3040 0002;GB;;acme;;;;;;',
  '(020) 3040-0003;GB;;;;;;;;',
  '020.3040.0004;gb;;;;contactCenter;;4;;true',
  '0044 20 3040 0005;;;;;;;;;',
  "'+442030400006;;;;;;;;;",
  '+442030500007;;;;london-block;;;;;',
  '4,42079E+11;;;;;;;;;',
  '+44 20 3040 ABCD;;;;;;;;;',
  '+4420304;;;;;;;;;',
  '+44203040000712345;;;;;;;;;',
  '020 3040 0013;;;;;;;;;',
  '+442030400001;;;;;;;;;',
  '+442030600000;;;;;;;;;',
  '+442030400016;;Atlantis;;;;;;;',
  '+442030400017;;Paris;;;;;;;',
  '+442030400018;;;nobody;;;;;;',
  '+442030400019;;;gone-ltd;;;;;;',
  '+442030400020;;;;no-such-range;;;;;',
  '+442030400021;;;;london-block;;;;;',
  '+442030400022;;;;;fax;;;;',
  '+442030400023;FR;;;;;;;;',
  '',
].join('\r\n');

const expectedInvalid = [
  {
    line: 9,
    number: '4,42079E+11',
    code: 'SCIENTIFIC_NOTATION',
    message: '"4,42079E+11" is in scientific notation; digits were lost (R-2)',
  },
  {
    line: 10,
    number: '+44 20 3040 ABCD',
    code: 'LETTERS',
    message: '"+44 20 3040 ABCD" contains letters (R-2)',
  },
  {
    line: 11,
    number: '+4420304',
    code: 'TOO_SHORT',
    message: '"+4420304" has too few digits (R-2)',
  },
  {
    line: 12,
    number: '+44203040000712345',
    code: 'TOO_LONG',
    message: '"+44203040000712345" has more than 15 digits (R-2)',
  },
  {
    line: 13,
    number: '020 3040 0013',
    code: 'NO_COUNTRY',
    message: '"020 3040 0013" is in national format but no country was given (R-2)',
  },
  {
    line: 14,
    number: '+442030400001',
    code: 'DUPLICATE_IN_FILE',
    message: '+442030400001 also appears on line 2',
  },
  {
    line: 15,
    number: '+442030600000',
    code: 'ALREADY_EXISTS',
    message: '+442030600000 is already in the inventory',
  },
  { line: 16, number: '+442030400016', code: 'UNKNOWN_SITE', message: 'site "Atlantis" not found' },
  {
    line: 17,
    number: '+442030400017',
    code: 'COUNTRY_MISMATCH',
    message: '+442030400017 belongs to GB; site "Paris" is in FR (R-3)',
  },
  {
    line: 18,
    number: '+442030400018',
    code: 'UNKNOWN_CUSTOMER',
    message: 'customer "nobody" not found',
  },
  {
    line: 19,
    number: '+442030400019',
    code: 'HOLDER_NOT_ACTIVE',
    message: 'customer "gone-ltd" is suspended; numbers go only to active customers (R-12)',
  },
  {
    line: 20,
    number: '+442030400020',
    code: 'UNKNOWN_RANGE',
    message: 'range "no-such-range" not found',
  },
  {
    line: 21,
    number: '+442030400021',
    code: 'NOT_IN_RANGE',
    message: '+442030400021 is outside range "london-block" (+442030500000–+442030500099)',
  },
  {
    line: 22,
    number: '+442030400022',
    code: 'BAD_VALUE',
    message: 'usage: "fax" is not one of user, application, conference, contactCenter',
  },
  {
    line: 23,
    number: '+442030400023',
    code: 'COUNTRY_MISMATCH',
    message: '+442030400023 belongs to GB, not FR (R-3)',
  },
];

describe('validate phase', () => {
  it('answers valid and invalid counts and every invalid row with its line and exact reason; changes nothing', async () => {
    const before = await count();
    const res = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(mixed)]));
    expect(res.statusCode).toBe(200);
    const r = res.json<Report>();
    expect(r).toMatchObject({ rows: 22, valid: 7, invalid: 15, imported: 0, committed: false });
    expect(r.invalidRows).toEqual(expectedInvalid);
    expect(await count()).toBe(before);
    expect(parisSite.id).toBeTruthy();
  });

  it('a default country applies to national numbers of rows without a country cell', async () => {
    const res = await post('number\n020 3040 0099\n', '?defaultCountry=GB');
    expect(res.json()).toMatchObject({ valid: 1, invalid: 0 });
  });
});

describe('references the database does not know', () => {
  it('a file whose every site, range and customer is unknown refuses each row with the reason', async () => {
    const res = await post(
      'number,site,range,customer\n+442030400091,Nowhere,,\n+442030400092,,no-such,\n+442030400093,,,nobody\n',
    );
    expect(res.json<Report>().invalidRows.map((r) => [r.line, r.code])).toEqual([
      [2, 'UNKNOWN_SITE'],
      [3, 'UNKNOWN_RANGE'],
      [4, 'UNKNOWN_CUSTOMER'],
    ]);
    const commit = await post(
      'number,site,range,customer\n+442030400091,Nowhere,,\n+442030400092,,no-such,\n+442030400093,,,nobody\n',
      '?phase=commit',
    );
    expect(commit.json()).toMatchObject({ valid: 0, invalid: 3, imported: 0 });
  });

  it('a duplicate inside the file names the line the number first appears on', async () => {
    const res = await post('number\n+442030400094\n4.4E+11\n+442030400094\n+442030400094\n');
    expect(res.json<Report>().invalidRows).toEqual([
      expect.objectContaining({ line: 3, code: 'SCIENTIFIC_NOTATION' }),
      {
        line: 4,
        number: '+442030400094',
        code: 'DUPLICATE_IN_FILE',
        message: '+442030400094 also appears on line 2',
      },
      expect.objectContaining({ line: 5, code: 'DUPLICATE_IN_FILE' }),
    ]);
  });
});

describe('commit phase', () => {
  it('applies all valid rows in one transaction with their fields, one import.commit audit event linked to each number', async () => {
    const res = await post(mixed, '?phase=commit', { 'x-ticket-id': 'IMP-1' });
    expect(res.statusCode).toBe(200);
    const r = res.json<Report>();
    expect(r).toMatchObject({ rows: 22, valid: 7, invalid: 15, imported: 7, committed: true });
    expect(r.invalidRows).toEqual(expectedInvalid);
    const rows = await t.db
      .selectFrom('numbers')
      .selectAll()
      .where('source', '=', 'import')
      .orderBy('e164')
      .execute();
    expect(rows.map((n) => n.e164)).toEqual([
      '+442030400001',
      '+442030400002',
      '+442030400003',
      '+442030400004',
      '+442030400005',
      '+442030400006',
      '+442030500007',
    ]);
    expect(rows[0]).toMatchObject({
      site_id: site.id,
      usage: 'user',
      capabilities: ['inboundCalling', 'outboundCalling'],
      cac_limit: 2,
      service_info: 'quoted; with delimiter',
      status: 'available',
      country: 'GB',
      kind: 'fixedLine',
    });
    expect(rows[1]).toMatchObject({
      status: 'reserved',
      holder_type: 'customer',
      customer_id: acme.id,
    });
    expect(rows[3]).toMatchObject({
      usage: 'contactCenter',
      cac_limit: 4,
      locked: true,
      lock_reason: 'locked by import',
    });
    expect(rows[6]).toMatchObject({ range_id: range.id });
    const events = await t.db
      .selectFrom('audit_events')
      .selectAll()
      .where('ticket_id', '=', 'IMP-1')
      .orderBy('id')
      .execute();
    // One audit event for the import, none per number: each number links to it (0011).
    expect(events.map((e) => e.action)).toEqual(['import.commit']);
    const importEvent = events[0]!;
    expect(importEvent).toMatchObject({ object_type: 'job', object_id: r.jobId, source: 'import' });
    expect(importEvent.changes).toMatchObject({ rows: 22, imported: 7, invalid: 15 });
    const links = await t.db
      .selectFrom('import_numbers')
      .selectAll()
      .where('event_id', '=', importEvent.id)
      .orderBy('e164')
      .execute();
    expect(links.map((l) => [l.e164, l.customer_id])).toEqual(
      rows.map((n) => [n.e164, n.customer_id]),
    );
    const holders = await t.db
      .selectFrom('import_event_customers')
      .selectAll()
      .where('event_id', '=', importEvent.id)
      .execute();
    expect(holders.map((h) => h.customer_id)).toEqual([acme.id]);
    const job = (await t.admin('GET', `/api/v1/jobs/${r.jobId}`)).json();
    expect(job).toMatchObject({
      kind: 'import',
      status: 'partiallySucceeded',
      progress: { total: 22, done: 22, failed: 15 },
      ticketId: 'IMP-1',
    });
    const csv = (await t.admin('GET', `/api/v1/jobs/${r.jobId}/errors.csv`)).body.split('\r\n');
    expect(csv[1]).toBe(
      'line 9: 4,42079E+11,SCIENTIFIC_NOTATION,"""4,42079E+11"" is in scientific notation; digits were lost (R-2)"'.replace(
        'line 9: 4,42079E+11',
        '"line 9: 4,42079E+11"',
      ),
    );
    expect(csv).toHaveLength(1 + 15 + 1);
  });

  it('R-50 running the same import again is idempotent: nothing changes', async () => {
    const before = await count();
    const events = await t.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const res = await post(mixed, '?phase=commit');
    expect(res.json()).toMatchObject({ alreadyImported: true, imported: 0, committed: false });
    expect(await count()).toBe(before);
    const after = await t.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(events.n));
  });

  it('a dry run reports what a commit would do and changes nothing', async () => {
    const before = await count();
    const res = await post('number\n+442030700001\n+442030700002\n', '?phase=commit&dryRun=true');
    expect(res.json()).toMatchObject({ valid: 2, imported: 0, committed: false, dryRun: true });
    expect(await count()).toBe(before);
    const links = await t.db
      .selectFrom('import_numbers')
      .select('e164')
      .where('e164', 'in', ['+442030700001', '+442030700002'])
      .execute();
    expect(links).toEqual([]);
    // …and the real commit afterwards still runs (a dry run leaves no R-50 marker).
    const real = await post('number\n+442030700001\n+442030700002\n', '?phase=commit');
    expect(real.json()).toMatchObject({ imported: 2, committed: true });
  });

  it('all or nothing: a file with no valid row fails the job and imports nothing', async () => {
    const before = await count();
    const res = await post('number\n4.42E+11\n', '?phase=commit');
    const r = res.json<Report>();
    expect(r).toMatchObject({ valid: 0, invalid: 1, imported: 0 });
    expect(await count()).toBe(before);
    expect((await t.admin('GET', `/api/v1/jobs/${r.jobId}`)).json()).toMatchObject({
      status: 'failed',
    });
  });
});

const other = await t.customer({ accountName: 'other-co' });
const acmeToken = await t.token(['read'], `customer:${acme.id}`);
const otherToken = await t.token(['read'], `customer:${other.id}`);

describe('audit of an import: one import.commit event, shown for each of its numbers', () => {
  interface Event {
    id: string;
    action: string;
    object: { type: string; id: string };
    customerId: string | null;
    changes: Record<string, unknown>;
  }
  const items = (res: { json: <T>() => T }) => res.json<{ items: Event[] }>().items;
  let jobId = '';
  let otherJobId = '';

  it('history of an imported number shows the import event with its job id and what it did to the number', async () => {
    const first = await t.db
      .selectFrom('audit_events')
      .select('object_id')
      .where('ticket_id', '=', 'IMP-1')
      .where('action', '=', 'import.commit')
      .executeTakeFirstOrThrow();
    jobId = first.object_id;
    const o = await post(`number,customer\n+442030910001,other-co\n`, '?phase=commit');
    otherJobId = o.json<Report>().jobId;
    expect(o.json()).toMatchObject({ imported: 1 });

    const reserved = items(await t.admin('GET', '/api/v1/numbers/%2B442030400002/history'));
    expect(reserved).toHaveLength(1);
    expect(reserved[0]).toMatchObject({
      action: 'import.commit',
      object: { type: 'job', id: jobId },
      customerId: acme.id,
      changes: {
        jobId,
        rows: 22,
        imported: 7,
        status: [null, 'reserved'],
        holder: [null, { type: 'customer', customerId: acme.id }],
      },
    });
    const available = items(await t.admin('GET', '/api/v1/numbers/%2B442030400001/history'));
    expect(available.map((e) => [e.action, e.object.id, e.customerId])).toEqual([
      ['import.commit', jobId, null],
    ]);
    expect(available[0]!.changes).toMatchObject({ jobId, status: [null, 'available'] });
    expect(available[0]!.changes).not.toHaveProperty('holder');
    // A later change to the number comes first, the import after it.
    const alloc = await t.admin('POST', '/api/v1/numbers/%2B442030400001/allocate', {
      holder: { type: 'customer', customerId: acme.id },
    });
    expect(alloc.statusCode).toBe(200);
    const later = items(await t.admin('GET', '/api/v1/numbers/%2B442030400001/history'));
    expect(later.map((e) => e.action)).toEqual(['number.allocate', 'import.commit']);
  });

  it('R-1 a customer-scoped caller sees the import in the history of its own numbers only, without the file details', async () => {
    const mine = items(await t.call(acmeToken, 'GET', '/api/v1/numbers/%2B442030400002/history'));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ action: 'import.commit', customerId: acme.id });
    expect(mine[0]!.changes).toEqual({
      jobId,
      status: [null, 'reserved'],
      holder: [null, { type: 'customer', customerId: acme.id }],
    });
    // Imported as available, reserved for acme later: the import was not acme's.
    const later = items(await t.call(acmeToken, 'GET', '/api/v1/numbers/%2B442030400001/history'));
    expect(later.map((e) => e.action)).toEqual(['number.allocate']);
    const notMine = await t.call(otherToken, 'GET', '/api/v1/numbers/%2B442030400002/history');
    expect(notMine.statusCode).toBe(404);
    const theirs = items(
      await t.call(otherToken, 'GET', '/api/v1/numbers/%2B442030910001/history'),
    );
    expect(theirs.map((e) => [e.action, e.object.id])).toEqual([['import.commit', otherJobId]]);
  });

  it('GET /audit-events finds the import by number and by customer; a customer token sees only its own imports', async () => {
    const byNumber = items(
      await t.admin('GET', '/api/v1/audit-events?objectType=number&objectId=%2B442030400002'),
    );
    expect(byNumber.map((e) => [e.action, e.object.id])).toEqual([['import.commit', jobId]]);
    expect(byNumber[0]!.changes).toMatchObject({ status: [null, 'reserved'], rows: 22 });
    const byCustomer = items(
      await t.admin('GET', `/api/v1/audit-events?customerId=${acme.id}&action=import.commit`),
    );
    expect(byCustomer.map((e) => e.object.id)).toEqual([jobId]);
    const byOther = items(
      await t.admin('GET', `/api/v1/audit-events?customerId=${other.id}&action=import.commit`),
    );
    expect(byOther.map((e) => e.object.id)).toEqual([otherJobId]);
    const byJob = items(
      await t.admin('GET', `/api/v1/audit-events?objectType=job&objectId=${jobId}`),
    );
    expect(byJob.map((e) => e.action)).toEqual(['import.commit']);
    const notImported = items(
      await t.admin('GET', '/api/v1/audit-events?objectType=number&objectId=%2B442030600000'),
    );
    expect(notImported.map((e) => e.action)).not.toContain('import.commit');

    const acmeSees = items(
      await t.call(acmeToken, 'GET', '/api/v1/audit-events?action=import.commit'),
    );
    expect(acmeSees.map((e) => e.object.id)).toEqual([jobId]);
    expect(acmeSees[0]).toMatchObject({ customerId: acme.id, changes: { jobId } });
    expect(acmeSees[0]!.changes).not.toHaveProperty('fileName');
    expect(acmeSees[0]!.changes).not.toHaveProperty('rows');
    const otherSees = items(
      await t.call(otherToken, 'GET', '/api/v1/audit-events?action=import.commit'),
    );
    expect(otherSees.map((e) => [e.action, e.object.id])).toEqual([['import.commit', otherJobId]]);
    // Another customer's number or import: nothing.
    const probe = items(
      await t.call(
        otherToken,
        'GET',
        '/api/v1/audit-events?objectType=number&objectId=%2B442030400002',
      ),
    );
    expect(probe).toEqual([]);
    const probeJob = items(
      await t.call(otherToken, 'GET', `/api/v1/audit-events?objectType=job&objectId=${jobId}`),
    );
    expect(probeJob).toEqual([]);
  });
});

describe('files that cannot be imported at all', () => {
  it.each([
    ['number,colour\n+442030800001,red\n', 'UNKNOWN_COLUMN'],
    ['country\nGB\n', 'NO_NUMBER_COLUMN'],
    ['number\n"+442030800001\n', 'INVALID_CSV'],
    ['', 'EMPTY_FILE'],
  ])('refuses %j with %s and imports nothing', async (csv, reason) => {
    const before = await count();
    const res = await post(csv, '?phase=commit');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', reason });
    expect(await count()).toBe(before);
  });

  it('refuses a file that is not UTF-8 (e.g. Windows-1252) with the reason', async () => {
    const latin1 = Buffer.concat([
      Buffer.from('number,serviceInfo\n+442030800002,caf'),
      Buffer.from([0xe9, 0x0a]),
    ]);
    const res = await post(latin1, '?phase=commit');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ reason: 'INVALID_CSV' });
    expect(res.json<{ detail: string }>().detail).toMatch(/not UTF-8/);
  });

  it('refuses customer-scoped callers (imports are operator work)', async () => {
    const token = await t.token(['read', 'write'], `customer:${acme.id}`);
    const res = await t.call(token, 'POST', '/api/v1/imports', 'number\n+442030800003\n', {
      'content-type': 'text/csv',
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('template and uploads', () => {
  it('the template lists every column, and its example row validates', async () => {
    const res = await t.admin('GET', '/api/v1/imports/template.csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.body.split('\r\n')[0]).toBe(
      'number,country,customer,site,range,extension,usage,capabilities,civicAddressId,locationId,sipConnection,callingProfileId,customSipHeader,cac,serviceInfo,locked,lockReason',
    );
    expect((await post(res.body)).json()).toMatchObject({ rows: 1, valid: 1, invalid: 0 });
  });

  it('accepts a multipart file upload', async () => {
    const boundary = '----numbat';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="numbers.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\nnumber\n+442030900001\n+442030900002\r\n--${boundary}--\r\n`;
    const res = await t.admin('POST', '/api/v1/imports?phase=commit', body, {
      'content-type': `multipart/form-data; boundary=${boundary}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ imported: 2 });
  });

  it('an import of ≥ 10,000 rows runs as a job with progress: 202 + Location, then the worker commits it', async () => {
    const lines = ['number,usage'];
    for (let i = 0; i < 10_000; i++) lines.push(`+44203100${String(i).padStart(4, '0')},user`);
    const before = await count();
    const res = await post(`${lines.join('\n')}\n`, '?phase=commit');
    expect(res.statusCode).toBe(202);
    const id = res.json<{ id: string }>().id;
    expect(res.headers.location).toBe(`/api/v1/jobs/${id}`);
    expect(res.json()).toMatchObject({
      kind: 'import',
      status: 'queued',
      progress: { total: 10_000 },
    });
    expect(await count()).toBe(before); // nothing until the worker runs it
    const services = createServices(
      t.db,
      { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'silent' },
      () => t.clock.now,
    );
    await createWorker({
      db: t.db,
      handlers: createJobHandlers({
        db: t.db,
        pool: t.pool,
        numbers: services.numbers,
        now: () => t.clock.now,
      }),
    }).drain();
    expect((await t.admin('GET', `/api/v1/jobs/${id}`)).json()).toMatchObject({
      status: 'succeeded',
      progress: { total: 10_000, done: 10_000, failed: 0 },
      result: { imported: 10_000, committed: true },
    });
    expect(await count()).toBe(before + 10_000);
  });
});

describe('`numbat import FILE`', () => {
  it('validates or commits a file, prints the summary as JSON, names invalid rows on stderr and exits 2 when some are invalid', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'numbat-import-'));
    const file = path.join(dir, 'numbers.csv');
    fs.writeFileSync(file, 'number;country\n020 3450 0001;GB\n+442034500002;\n4.42E+11;\n');
    const numbat = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'import', ...args], {
        env: { ...process.env, DATABASE_URL: t.url },
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    try {
      const before = await count();
      const validate = await numbat('--validate', file);
      expect(validate.code).toBe(2);
      expect(JSON.parse(validate.stdout)).toMatchObject({
        phase: 'validate',
        rows: 3,
        valid: 2,
        invalid: 1,
      });
      expect(validate.stderr).toContain('line 4: SCIENTIFIC_NOTATION');
      expect(await count()).toBe(before);
      const commit = await numbat(file, '--ticket', 'CLI-1');
      expect(commit.code).toBe(2);
      expect(JSON.parse(commit.stdout)).toMatchObject({ imported: 2, committed: true });
      expect(await count()).toBe(before + 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
