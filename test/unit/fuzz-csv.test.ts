/**
 * Issue 7 fuzzing of the import CSV reader (SPEC §4, R-50): the streaming
 * parser (src/domain/csv-parser.ts), the byte reader that decodes UTF-8 and
 * detects the delimiter (src/imports/imports.reader.ts) and the per-row checks
 * (src/domain/import-row.ts). Together with fuzz-e164.test.ts ≥ 100,000 cases
 * per run (the counts are asserted, so a lowered numRuns fails).
 *
 * Properties: no exception other than the documented refusal (CsvSyntaxError /
 * CsvFormatError); any record list written with RFC 4180 quoting reads back
 * exactly, with its line numbers; how the input is cut into chunks never
 * changes the answer; a row the checks accept carries a valid E.164 number.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { isValidPhoneNumber } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { quoteCell } from '../../src/domain/csv.js';
import { CsvParser, CsvSyntaxError, type ParsedRecord } from '../../src/domain/csv-parser.js';
import { checkRow, parseHeader } from '../../src/domain/import-row.js';
import { CsvFormatError, readCsv } from '../../src/imports/imports.reader.js';

const E164 = /^\+[1-9]\d{1,14}$/;
/** Generous: the cases take a few seconds, but the machine may be shared (CI, parallel files). */
const FUZZ_TIMEOUT_MS = 120_000;
let cases = 0;

/** Characters that matter to a CSV reader, and a few that do not. */
const csvChar = fc.constantFrom('a', '1', '+', ' ', '"', ',', ';', '\n', '\r', '\t', 'é', "'", '=');
const cell = fc.string({ unit: csvChar, maxLength: 6 });
const records = fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), {
  minLength: 0,
  maxLength: 6,
});
/** Cut points into a text of length `n`. */
const cuts = fc.array(fc.nat(), { maxLength: 4 });

function parse(delimiter: string, pieces: readonly string[]): ParsedRecord[] | CsvSyntaxError {
  const p = new CsvParser(delimiter);
  const out: ParsedRecord[] = [];
  try {
    for (const piece of pieces) p.push(piece, out);
    p.end(out);
    return out;
  } catch (err) {
    if (err instanceof CsvSyntaxError) return err;
    throw err; // anything else is a defect: fast-check reports the input
  }
}

function split(text: string, at: readonly number[]): string[] {
  const points = [...new Set(at.map((a) => (text.length ? a % (text.length + 1) : 0)))].sort(
    (a, b) => a - b,
  );
  const pieces: string[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(text.slice(from, p));
    from = p;
  }
  pieces.push(text.slice(from));
  return pieces;
}

const outcome = (r: ParsedRecord[] | CsvSyntaxError) =>
  r instanceof CsvSyntaxError ? { error: r.message, line: r.line } : r;

describe('CSV parser fuzzing (SPEC §4)', () => {
  it('strips the BOM even when the first piece pushed is empty (found by this fuzzing)', () => {
    const p = new CsvParser(',');
    p.push('');
    const out = p.push('\uFEFFnumber,usage\n');
    expect(out).toEqual([{ line: 1, cells: ['number', 'usage'] }]);
  });

  it(
    'reads back any records written with RFC 4180 quoting, with their line numbers, however the text is cut',
    () => {
      fc.assert(
        fc.property(
          records,
          fc.constantFrom(',', ';'),
          fc.constantFrom('\n', '\r\n'),
          fc.boolean(),
          cuts,
          (recs, d, eol, finalEol, at) => {
            cases++;
            // A record of one empty cell is an empty line, which readers skip.
            const kept = recs.filter((r) => !(r.length === 1 && r[0] === ''));
            const lines = kept.map((r) => r.map((c) => quoteCell(c, d)).join(d));
            const text = lines.join(eol) + (finalEol && lines.length ? eol : '');
            const got = parse(d, split(text, at));
            expect(got).not.toBeInstanceOf(CsvSyntaxError);
            expect((got as ParsedRecord[]).map((r) => r.cells)).toEqual(kept);
            // Line numbers: 1 + the line ends before the record (LF inside
            // quoted cells count; a lone CR inside quotes is not a line end).
            let line = 1;
            (got as ParsedRecord[]).forEach((r, i) => {
              expect(r.line).toBe(line);
              line += 1 + (lines[i]!.match(/\n/g)?.length ?? 0);
            });
          },
        ),
        { numRuns: 30_000 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'answers records or a CsvSyntaxError on any text, and the same whatever the chunking',
    () => {
      const anyText = fc.oneof(
        fc.string({ unit: csvChar, maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
      );
      fc.assert(
        fc.property(anyText, fc.constantFrom(',', ';'), cuts, fc.boolean(), (text, d, at, bom) => {
          cases++;
          const input = (bom ? '\uFEFF' : '') + text;
          const whole = parse(d, [input]);
          const chunked = parse(d, split(input, at));
          expect(outcome(chunked)).toEqual(outcome(whole));
          if (!(whole instanceof CsvSyntaxError)) {
            for (const r of whole) {
              expect(r.cells.length).toBeGreaterThan(0);
              expect(r.line).toBeGreaterThanOrEqual(1);
            }
          }
        }),
        { numRuns: 30_000 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});

async function readAll(chunks: readonly Uint8Array[]) {
  const reader = readCsv(
    (async function* () {
      for (const c of chunks) yield Buffer.from(c);
    })(),
  );
  const rows: ParsedRecord[] = [];
  try {
    for await (const batch of reader.batches) rows.push(...batch);
  } catch (err) {
    if (err instanceof CsvFormatError) return { error: err.message, line: err.line };
    throw err;
  }
  return { rows, digest: reader.digest(), bytes: reader.bytesRead() };
}

describe('import reader fuzzing (bytes → records)', () => {
  it(
    'refuses bad bytes or bad CSV with CsvFormatError only; chunking never turns a refusal into records or changes them; the digest is the bytes’ sha256',
    async () => {
      const byte = fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...Buffer.from('ab1+",;\n\r ')) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
      );
      const bytes = fc.oneof(
        fc.array(byte, { maxLength: 48 }).map((a) => Uint8Array.from(a)),
        // Valid UTF-8 text with multi-byte characters, cut mid-character by the chunking.
        fc.string({ unit: 'grapheme', maxLength: 16 }).map((s) => new Uint8Array(Buffer.from(s))),
      );
      await fc.assert(
        fc.asyncProperty(bytes, cuts, async (b, at) => {
          cases++;
          const whole = await readAll([b]);
          const points = [...new Set(at.map((a) => a % (b.length + 1)))].sort((x, y) => x - y);
          const chunks: Uint8Array[] = [];
          let from = 0;
          for (const p of points) {
            chunks.push(b.subarray(from, p));
            from = p;
          }
          chunks.push(b.subarray(from));
          const chunked = await readAll(chunks);
          if ('error' in whole) {
            // Refused either way; which problem is met first (bad bytes or bad
            // CSV) may depend on where the stream was cut.
            expect(chunked).toHaveProperty('error');
          } else {
            expect(chunked).toEqual(whole);
          }
          if ('digest' in whole) {
            expect(whole.digest).toBe(createHash('sha256').update(b).digest('hex'));
            expect(whole.bytes).toBe(b.length);
          }
        }),
        { numRuns: 10_000 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe('import row checks fuzzing (R-2)', () => {
  const header = parseHeader(['number', 'country', 'usage', 'locked']);
  if (!header.ok) throw new Error('header');
  const numberish = fc.oneof(
    fc.string({ unit: fc.constantFrom(..."+0123456789 -().'eE"), maxLength: 20 }),
    fc.string({ maxLength: 16 }),
    fc
      .tuple(fc.constantFrom('+44', '+1', '+49', '+33', '+7', '+353', '0044', '00'), fc.nat())
      .map(([p, n]) => `${p}${n}`),
  );
  it(
    'never throw, and a row they accept has a valid E.164 number of the row’s country',
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(
          numberish,
          fc.constantFrom('', 'GB', 'us', 'DE', 'XX', '12', 'GBR'),
          fc.constantFrom('', 'user', 'USER', 'x'),
          fc.constantFrom('', 'true', 'false', 'yes', '1'),
          fc.constantFrom(undefined, 'GB', 'FR'),
          (number, country, usage, locked, fallback) => {
            cases++;
            const r = checkRow([number, country, usage, locked], header, fallback);
            if (r.ok) {
              accepted++;
              expect(r.row.e164).toMatch(E164);
              expect(isValidPhoneNumber(r.row.e164)).toBe(true);
              if (country !== '') expect(r.row.country).toBe(country.toUpperCase());
            } else {
              expect(r.error.code).toMatch(/^[A-Z_]+$/);
            }
          },
        ),
        { numRuns: 30_000 },
      );
      // The property means something only if some rows were accepted.
      expect(accepted).toBeGreaterThan(100);
    },
    FUZZ_TIMEOUT_MS,
  );

  it('ran the planned number of cases', () => {
    expect(cases).toBeGreaterThanOrEqual(100_000);
  });
});
