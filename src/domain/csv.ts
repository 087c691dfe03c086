/**
 * CSV cell policy (SPEC §4, R-51) and small pure CSV helpers for imports and
 * exports. No I/O.
 *
 * R-51 formula injection: a spreadsheet runs a cell that starts with `=`, `+`,
 * `-`, `@`, tab or CR as a formula. Every cell that is not a validated E.164
 * number and starts with one of those is written with a `'` in front; E.164
 * cells stay bare so the file imports back.
 *
 * To make the policy reversible (an export imports back unchanged), a cell
 * that already starts with one or more `'` followed by such a character gets
 * one more `'` too, and the import removes exactly one `'` from cells of the
 * form `'+<trigger>…` (see `unguardCell`). So `guard` is a bijection whose
 * inverse is `unguard`, and every guarded cell satisfies R-51.
 */

/** characters that make a spreadsheet evaluate a cell. */
export const FORMULA_TRIGGERS = ['=', '+', '-', '@', '\t', '\r'] as const;

/** `'`* then a trigger: the cells `guardCell` prefixes. */
const GUARD_NEEDED = /^'*[=+\-@\t\r]/;
/** `'`+ then a trigger: the cells `unguardCell` strips one `'` from. */
const GUARDED = /^'+[=+\-@\t\r]/;

/** R-51 for one non-E.164 cell value. */
export function guardCell(value: string): string {
  return GUARD_NEEDED.test(value) ? `'${value}` : value;
}

/** Inverse of `guardCell` (applied by the import to text cells). */
export function unguardCell(value: string): string {
  return GUARDED.test(value) ? value.slice(1) : value;
}

/** RFC 4180 quoting: quote when the value holds the delimiter, a quote, CR or LF. */
export function quoteCell(value: string, delimiter = ','): string {
  if (
    value.includes(delimiter) ||
    value.includes('"') ||
    value.includes('\n') ||
    value.includes('\r')
  ) {
    return `"${value.replaceAll('"', '""')}"`;
  }
  return value;
}

/**
 * One CSV cell as Numbat writes it: R-51 guard (unless `e164`), then quoting.
 * null / undefined are empty cells.
 */
export function csvCell(
  value: string | number | boolean | null | undefined,
  opts: { e164?: boolean; delimiter?: string } = {},
): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return quoteCell(opts.e164 ? text : guardCell(text), opts.delimiter);
}

export function csvLine(cells: readonly string[], delimiter = ','): string {
  return `${cells.join(delimiter)}\r\n`;
}

/** UTF-8 byte order mark, which Excel writes and some tools choke on. */
export const BOM = '\uFEFF';

export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

/**
 * The delimiter of a CSV from its header line: `;` (what Excel writes in
 * locales with a decimal comma) when the line has more semicolons outside
 * quotes than commas, else `,`.
 */
export function detectDelimiter(headerLine: string): ',' | ';' {
  let commas = 0;
  let semis = 0;
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semis++;
  }
  return semis > commas ? ';' : ',';
}
