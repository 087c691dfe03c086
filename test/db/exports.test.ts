/**
 * GET /api/v1/exports/numbers.csv and `numbat export` (SPEC §4, R-51): the
 * list filters, customer scope, the formula-injection policy applied in SQL
 * (identical to the pure guardCell), and an export → import round trip.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { guardCell } from '../../src/domain/csv.js';
import { createTestApp } from '../support/app.js';

const run = promisify(execFile);
const t = await createTestApp();

const acme = await t.customer({ accountName: 'acme' });
const other = await t.customer({ accountName: '-other' });
const site = await t.site({ name: '=Leeds', country: 'GB' });

const source = [
  'number,customer,site,extension,usage,capabilities,sipConnection,callingProfileId,customSipHeader,cac,serviceInfo,locked,lockReason',
  `+442032000001,acme,=Leeds,101,user,inboundCalling|outboundCalling,sbc-1,prof-9,-hdr,2,"=HYPERLINK(""http://x"")",false,`,
  `+442032000002,,,,contactCenter,,,,,5,"two\nlines, and ""quotes""",true,@audit hold`,
  `+442032000003,-other,,,,,,,,,+plus first,,`,
  `+442032000004,,,,,,,,,,'=already quoted,,`,
  `+442032000005,,,,application,mobile,,,,,set below,,`,
  '',
].join('\n');

async function importCsv(csv: string) {
  const res = await t.admin('POST', '/api/v1/imports?phase=commit', csv, {
    'content-type': 'text/csv',
  });
  expect(res.statusCode).toBe(200);
  return res.json<{ imported: number; invalid: number; invalidRows: unknown[] }>();
}

async function exportCsv(query = '', token = t.adminToken) {
  const res = await t.call(token, 'GET', `/api/v1/exports/numbers.csv${query}`);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/csv');
  return res.body;
}

const imported = await importCsv(source);
if (imported.imported !== 5) throw new Error(`setup: ${JSON.stringify(imported)}`);
// A value that can only come through the API (an import trims cells): a leading tab.
await t.db
  .updateTable('numbers')
  .set({ service_info: '\tlead tab' })
  .where('e164', '=', '+442032000005')
  .execute();

describe('R-51 in SQL', () => {
  it('numbat_csv_guard (the export) equals guardCell (the domain) on golden and random strings', async () => {
    const golden = [
      '=1',
      '+1',
      '-1',
      '@1',
      '\t1',
      '\r1',
      "'=1",
      "''-x",
      "'x",
      'x=',
      '',
      ' =x',
      'x',
    ];
    const random = fc.sample(
      fc.oneof(fc.string(), fc.stringMatching(/^'{0,3}[=+\-@\t\r a]{0,2}[a-z]{0,3}$/)),
      2_000,
    );
    const inputs = [...golden, ...random].map((s) => s.replaceAll('\u0000', ''));
    const r = await sql<{ v: string; g: string }>`
      SELECT v, numbat_csv_guard(v) AS g FROM unnest(${inputs}::text[]) AS v`.execute(t.db);
    expect(r.rows.map((x) => x.g)).toEqual(inputs.map(guardCell));
  });
});

describe('export', () => {
  it('writes the header and the table’s columns; E.164 bare, formula-like cells guarded (R-51)', async () => {
    const csv = await exportCsv();
    const lines = csv.split('\n');
    expect(lines[0]).toBe(
      'number,country,kind,status,customer,site,range,extension,usage,capabilities,civicAddressId,locationId,sipConnection,callingProfileId,customSipHeader,cac,serviceInfo,locked,lockReason',
    );
    expect(lines[1]).toBe(
      `+442032000001,GB,fixedLine,reserved,acme,'=Leeds,,101,user,inboundCalling|outboundCalling,,,sbc-1,prof-9,'-hdr,2,"'=HYPERLINK(""http://x"")",false,`,
    );
    expect(csv).toContain(`+442032000003,GB,fixedLine,reserved,'-other,`);
    expect(csv).toContain(`,'@audit hold\n`);
    expect(csv).toContain(`,'=already quoted,`); // the import removed one guard quote, the export adds it back
    expect(csv).toContain(`,'\tlead tab,`);
    // No cell other than the number starts with a formula character.
    const bare = csv.match(/(^|,)[=+\-@][^\n,]*/gm) ?? [];
    expect(bare.filter((c) => !/^(,|)\+\d+$/.test(c))).toEqual([]);
  });

  it('applies the list filters', async () => {
    const numbersOf = (csv: string) =>
      csv
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0])
        .filter((n) => n?.startsWith('+'));
    expect(numbersOf(await exportCsv(`?customerId=${acme.id}`))).toEqual(['+442032000001']);
    expect(numbersOf(await exportCsv('?status=available&usage=application'))).toEqual([
      '+442032000005',
    ]);
    expect(numbersOf(await exportCsv('?locked=true'))).toEqual(['+442032000002']);
    expect(numbersOf(await exportCsv('?q=2000003'))).toEqual(['+442032000003']);
    expect(numbersOf(await exportCsv(`?siteId=${site.id}`))).toEqual(['+442032000001']);
    const bad = await t.admin('GET', '/api/v1/exports/numbers.csv?status=sleeping');
    expect(bad.statusCode).toBe(400);
  });

  it('a customer-scoped caller exports only its own numbers, whatever it asks for', async () => {
    const token = await t.token(['read'], `customer:${acme.id}`);
    const own = await exportCsv('', token);
    expect(own.trim().split('\n').slice(1)).toHaveLength(1);
    expect(own).toContain('+442032000001');
    const sneaky = await exportCsv(`?customerId=${other.id}`, token);
    expect(sneaky.trim().split('\n')).toHaveLength(1); // the header only
  });

  it('`numbat export` writes the same file to stdout', async () => {
    const cli = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'export', '--customer', acme.id],
      { env: { ...process.env, DATABASE_URL: t.url } },
    );
    expect(cli.stdout).toBe(await exportCsv(`?customerId=${acme.id}`));
  });
});

describe('export → import round trip', () => {
  it('an export imports back unchanged', async () => {
    const first = await exportCsv();
    // Start from an inventory without these numbers, then import the export.
    await t.db.deleteFrom('numbers').where('source', '=', 'import').execute();
    await t.db.deleteFrom('import_commits').execute();
    const back = await importCsv(first);
    expect(back).toMatchObject({ imported: 5, invalid: 0 });
    expect(await exportCsv()).toBe(first);
  });
});
