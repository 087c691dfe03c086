/**
 * CSV for imports and exports (SPEC §4): the R-51 cell policy (golden cases
 * and properties), the streaming parser (the CSVs people really have) and the
 * per-row import checks with the exact reason for each malformed-input class.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  csvCell,
  detectDelimiter,
  guardCell,
  quoteCell,
  stripBom,
  unguardCell,
} from '../../src/domain/csv.js';
import { CsvParser, CsvSyntaxError, type ParsedRecord } from '../../src/domain/csv-parser.js';
import {
  checkRow,
  IMPORT_LOCK_REASON,
  parseHeader,
  templateColumns,
  type HeaderIndex,
} from '../../src/domain/import-row.js';
import { CsvFormatError, readCsv } from '../../src/imports/imports.reader.js';

describe('R-51 formula-injection cell policy', () => {
  // Golden: input → cell as exported.
  const golden: [string, string][] = [
    ['=SUM(A1:A2)', "'=SUM(A1:A2)"],
    ['+1 555', "'+1 555"],
    ['-5', "'-5"],
    ['@cmd', "'@cmd"],
    ['\tlead tab', "'\tlead tab"],
    ['\rlead cr', "'\rlead cr"],
    ["'=already", "''=already"],
    ["''+twice", "'''+twice"],
    ["'plain", "'plain"],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
    ['', ''],
    [' =space first', ' =space first'],
  ];
  it.each(golden)('R-51 guardCell(%j) is %j', (input, out) => {
    expect(guardCell(input)).toBe(out);
  });

  it('R-51 every guarded cell that is not bare starts with a quote, and no cell starts with a trigger', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const g = guardCell(s);
        expect(/^[=+\-@\t\r]/.test(g)).toBe(false);
        if (g !== s) expect(g).toBe(`'${s}`);
      }),
    );
  });

  it('R-51 unguardCell inverts guardCell on every string (exports import back unchanged)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^'*[=+\-@\t\r].*$/)), (s) => {
        expect(unguardCell(guardCell(s))).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('R-51 E.164 cells stay bare; quoting follows RFC 4180', () => {
    expect(csvCell('+442079460000', { e164: true })).toBe('+442079460000');
    expect(csvCell('+442079460000')).toBe("'+442079460000");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(null)).toBe('');
    expect(quoteCell('a;b', ';')).toBe('"a;b"');
  });
});

function parseAll(text: string, delimiter = ',', pieces = 1): ParsedRecord[] {
  const p = new CsvParser(delimiter);
  const out: ParsedRecord[] = [];
  const size = Math.ceil(text.length / pieces) || 1;
  for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size), out);
  p.end(out);
  return out;
}

describe('CSV parser: the files people really have', () => {
  it('reads LF, CRLF and CR line ends, skips empty lines, and numbers lines from 1', () => {
    const expected = [
      { line: 1, cells: ['number', 'country'] },
      { line: 2, cells: ['+44 20', 'GB'] },
      { line: 4, cells: ['3', 'FR'] },
    ];
    expect(parseAll('number,country\n+44 20,GB\n\n3,FR\n')).toEqual(expected);
    expect(parseAll('number,country\r\n+44 20,GB\r\n\r\n3,FR\r\n')).toEqual(expected);
    expect(parseAll('number,country\r+44 20,GB\r\r3,FR')).toEqual(expected);
  });

  it('reads quoted fields: delimiters, doubled quotes and line breaks inside quotes', () => {
    expect(parseAll('a,b\n"x,y","say ""hi"""\n"two\nlines",z\nlast,1')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x,y', 'say "hi"'] },
      { line: 3, cells: ['two\nlines', 'z'] },
      { line: 5, cells: ['last', '1'] },
    ]);
  });

  it('refuses an unclosed quote with the line it starts on', () => {
    expect(() => parseAll('a,b\n1,2\n"open,3\n')).toThrow(CsvSyntaxError);
    try {
      parseAll('a,b\n1,2\n"open,3\n');
    } catch (e) {
      expect((e as CsvSyntaxError).line).toBe(3);
    }
  });

  it('gives the same records however the text is cut into chunks', () => {
    const cell = fc.oneof(
      fc.stringMatching(/^[a-z0-9 +]{0,6}$/),
      fc.string({ maxLength: 6 }).map((s) => `"${s.replaceAll('"', '""')}"`),
    );
    const row = fc.array(cell, { minLength: 1, maxLength: 4 }).map((c) => c.join(';'));
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.integer({ min: 1, max: 40 }),
        (rows, eol, pieces) => {
          const text = rows.join(eol) + eol;
          expect(parseAll(text, ';', pieces)).toEqual(parseAll(text, ';', 1));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('detects ; (Excel in decimal-comma locales) or , from the header, and strips a BOM', () => {
    expect(detectDelimiter('number;country;site')).toBe(';');
    expect(detectDelimiter('number,country')).toBe(',');
    expect(detectDelimiter('"a;b",c')).toBe(',');
    expect(stripBom('\uFEFFnumber')).toBe('number');
    expect(parseAll('\uFEFFnumber;country\n1;2', ';')[0]).toEqual({
      line: 1,
      cells: ['number', 'country'],
    });
  });
});

describe('import header (SPEC §4: case-insensitive, order-free)', () => {
  it('accepts names in any case and order, with spaces or underscores, and ignores kind/status', () => {
    const h = parseHeader(['Country', 'Phone Number', 'CUSTOMER_ACCOUNT', 'kind', 'Status', 'cac']);
    expect(h).toEqual({
      ok: true,
      width: 6,
      index: { country: 0, number: 1, customer: 2, cac: 5 },
    });
  });
  it('refuses unknown and duplicate columns and a header without a number column', () => {
    expect(parseHeader(['number', 'colour'])).toMatchObject({ ok: false, code: 'UNKNOWN_COLUMN' });
    expect(parseHeader(['number', 'e164'])).toMatchObject({ ok: false, code: 'DUPLICATE_COLUMN' });
    expect(parseHeader(['country'])).toMatchObject({ ok: false, code: 'NO_NUMBER_COLUMN' });
  });
  it('the template header parses', () => {
    expect(parseHeader([...templateColumns]).ok).toBe(true);
  });
});

describe('import rows: every malformed-input class with its exact reason (R-2, R-3, R-33)', () => {
  const header = parseHeader(['number', 'country', 'usage', 'cac', 'locked', 'capabilities']) as {
    ok: true;
    index: HeaderIndex;
    width: number;
  };
  const row = (number: string, country = '', extra: Partial<Record<string, string>> = {}) =>
    checkRow(
      [number, country, extra.usage ?? '', extra.cac ?? '', extra.locked ?? '', extra.caps ?? ''],
      header,
    );

  it.each([
    ['+44 20 7946 0000', '', '+442079460000'],
    ['020 7946 0000', 'GB', '+442079460000'],
    ['(020) 7946-0000', 'gb', '+442079460000'],
    ['020.7946.0000', 'GB', '+442079460000'],
    ['0044 20 7946 0000', '', '+442079460000'],
    ["'+442079460000", '', '+442079460000'],
    ['+442079460000', 'GB', '+442079460000'],
  ])('accepts %j (country %j) as %s', (input, country, e164) => {
    expect(row(input, country)).toMatchObject({ ok: true, row: { e164, country: 'GB' } });
  });

  it.each([
    [
      '4.42079E+11',
      '',
      'SCIENTIFIC_NOTATION',
      '"4.42079E+11" is in scientific notation; digits were lost (R-2)',
    ],
    [
      '4,42E+11',
      '',
      'SCIENTIFIC_NOTATION',
      '"4,42E+11" is in scientific notation; digits were lost (R-2)',
    ],
    ['+44 20 79A6 0000', '', 'LETTERS', '"+44 20 79A6 0000" contains letters (R-2)'],
    ['+4420794', '', 'TOO_SHORT', '"+4420794" has too few digits (R-2)'],
    ['+44207946000012345', '', 'TOO_LONG', '"+44207946000012345" has more than 15 digits (R-2)'],
    [
      '020 7946 0000',
      '',
      'NO_COUNTRY',
      '"020 7946 0000" is in national format but no country was given (R-2)',
    ],
    ['', '', 'EMPTY', 'number is empty (R-2)'],
    [
      '+44#2079460000',
      '',
      'NOT_DIGITS',
      '"+44#2079460000" contains characters other than digits and separators (R-2)',
    ],
  ])('refuses %j with %s', (input, country, code, message) => {
    expect(row(input, country)).toEqual({ ok: false, error: { code, message } });
  });

  it('refuses a country cell that disagrees with the number (R-3)', () => {
    expect(row('+442079460000', 'FR')).toEqual({
      ok: false,
      error: { code: 'COUNTRY_MISMATCH', message: '+442079460000 belongs to GB, not FR (R-3)' },
    });
  });

  it('refuses bad enums, CAC and booleans with the field named', () => {
    expect(row('+442079460000', '', { usage: 'fax' })).toEqual({
      ok: false,
      error: {
        code: 'BAD_VALUE',
        message: 'usage: "fax" is not one of user, application, conference, contactCenter',
      },
    });
    expect(row('+442079460000', '', { usage: 'user', cac: '5' })).toEqual({
      ok: false,
      error: {
        code: 'BAD_VALUE',
        message: 'cac: user numbers have a fixed CAC of 2, got 5 (R-33)',
      },
    });
    expect(row('+442079460000', '', { cac: '1' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_VALUE', message: 'cac: "1" is not a whole number ≥ 2 (R-33)' },
    });
    expect(row('+442079460000', '', { locked: 'maybe' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_VALUE', message: 'locked: "maybe" is not true or false' },
    });
    expect(row('+442079460000', '', { caps: 'inboundCalling|fax' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_VALUE' },
    });
  });

  it('normalises enums case-insensitively and gives locked rows a reason', () => {
    expect(
      row('+442079460000', '', {
        usage: 'CONTACTCENTER',
        cac: '4',
        locked: 'yes',
        caps: 'inboundcalling | OutboundCalling',
      }),
    ).toMatchObject({
      ok: true,
      row: {
        usage: 'contactCenter',
        cac: 4,
        locked: true,
        lockReason: IMPORT_LOCK_REASON,
        capabilities: ['inboundCalling', 'outboundCalling'],
      },
    });
  });

  it('refuses a row whose cell count differs from the header', () => {
    expect(checkRow(['+442079460000', 'GB'], header)).toEqual({
      ok: false,
      error: { code: 'COLUMN_COUNT', message: 'the row has 2 cells; the header has 6' },
    });
  });
});

describe('import reader: bytes to records', () => {
  async function records(chunks: Buffer[]) {
    const r = readCsv(
      (async function* () {
        yield* chunks;
      })(),
    );
    const out: ParsedRecord[] = [];
    for await (const b of r.batches) out.push(...b);
    return { out, digest: r.digest() };
  }

  it('reads UTF-8 split anywhere (inside multi-byte characters too) and hashes every byte', async () => {
    const text =
      '\uFEFFnumber;serviceInfo\r\n+442079460000;Zürich café ☎\r\n+442079460001;naïve\r\n';
    const bytes = Buffer.from(text);
    const whole = await records([bytes]);
    expect(whole.out).toEqual([
      { line: 1, cells: ['number', 'serviceInfo'] },
      { line: 2, cells: ['+442079460000', 'Zürich café ☎'] },
      { line: 3, cells: ['+442079460001', 'naïve'] },
    ]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const split = await records([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(split).toEqual(whole);
    }
  });

  it('refuses bytes that are not UTF-8', async () => {
    await expect(records([Buffer.from([0x6e, 0x0a, 0xe9, 0x0a])])).rejects.toThrow(CsvFormatError);
  });
});
