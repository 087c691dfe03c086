/**
 * Issue 7, R-51 formula injection, against golden files in
 * test/fixtures/security: the cell guard (TypeScript and SQL alike), and a
 * hostile import exported byte for byte as the golden file says, which then
 * imports back unchanged. The job error report guards what it echoes too.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { guardCell } from '../../src/domain/csv.js';
import { createTestApp, type TestApp } from '../support/app.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/security/${name}`, import.meta.url), 'utf8');
const golden = JSON.parse(fixture('r51-cells.json')) as { cells: [string, string][] };

let t: TestApp;

/** Cells a spreadsheet would run: starting with = + - @ tab or CR, other than E.164 numbers. */
const unsafeCells = (csv: string) =>
  parse(csv, { relax_column_count: true })
    .flat()
    .map(String)
    .filter((c) => /^[=+\-@\t\r]/.test(c) && !/^\+[1-9]\d{1,14}$/.test(c));

beforeAll(async () => {
  t = await createTestApp();
});

async function importCsv(csv: string, query = '?phase=commit') {
  const res = await t.admin('POST', `/api/v1/imports${query}`, csv, {
    'content-type': 'text/csv',
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ imported: number; invalid: number; unchanged?: number }>();
}

describe('R-51 golden cells', () => {
  it('guardCell and numbat_csv_guard give the golden answer for every cell', async () => {
    expect(golden.cells.length).toBeGreaterThan(10);
    expect(golden.cells.map(([input]) => guardCell(input))).toEqual(
      golden.cells.map(([, expected]) => expected),
    );
    const r = await sql<{ g: string }>`
      SELECT numbat_csv_guard(v) AS g
      FROM unnest(${golden.cells.map(([i]) => i)}::text[]) WITH ORDINALITY AS x(v, i)
      ORDER BY i`.execute(t.db);
    expect(r.rows.map((x) => x.g)).toEqual(golden.cells.map(([, e]) => e));
  });
});

describe('R-51 end to end', () => {
  it('a hostile import exports exactly as the golden file, and imports back unchanged', async () => {
    const report = await importCsv(fixture('hostile-import.csv'));
    expect(report.imported).toBe(9);
    const res = await t.admin('GET', '/api/v1/exports/numbers.csv?q=2079460');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(fixture('hostile-export.csv'));
    expect(unsafeCells(res.body)).toEqual([]);
    // Round trip: the guarded file imports back to the same values (R-51 keeps imports lossless).
    await t.db.deleteFrom('numbers').where('e164', 'like', '+44207946%').execute();
    await t.db.deleteFrom('import_commits').execute();
    expect(await importCsv(res.body)).toMatchObject({ imported: 9, invalid: 0 });
    const n = await t.admin('GET', `/api/v1/numbers/${encodeURIComponent('+442079460001')}`);
    expect(n.json().serviceInfo).toBe("=cmd|' /C calc'!A0");
    const again = await t.admin('GET', '/api/v1/exports/numbers.csv?q=2079460');
    expect(again.body).toBe(fixture('hostile-export.csv'));
  });

  it('the job error report guards the cells it echoes', async () => {
    const res = await t.admin(
      'POST',
      '/api/v1/imports?phase=validate',
      'number\n=cmd|calc!A1\n@evil\n+442079469999\n',
      { 'content-type': 'text/csv' },
    );
    expect(res.statusCode).toBe(200);
    const jobId = res.json().jobId as string | undefined;
    const jobs = jobId
      ? [jobId]
      : (
          (await t.admin('GET', '/api/v1/jobs?kind=import&limit=1')).json().items as {
            id: string;
          }[]
        ).map((j) => j.id);
    const csv = await t.admin('GET', `/api/v1/jobs/${jobs[0]}/errors.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('=cmd|calc!A1'); // echoed, but never at the start of a cell
    expect(unsafeCells(csv.body)).toEqual([]);
  });
});
