/**
 * A streaming RFC 4180 CSV parser for imports: `,` or `;`, CRLF / LF / CR,
 * quoted fields with `""` escapes and line breaks inside quotes, empty lines
 * skipped. Pure (text in, records out). Written for speed: lines without a
 * quote are split with String.prototype.split; csv-parse managed ~160k
 * records/s here, this parser several times that (bench/import-export.ts).
 */

export interface ParsedRecord {
  /** 1-based line on which the record starts. */
  line: number;
  cells: string[];
}

export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export class CsvParser {
  private buf = '';
  /** Line number of `buf[0]`. */
  private line = 1;
  private started = false;

  constructor(private readonly delimiter: string) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r')
      throw new Error(`bad delimiter ${JSON.stringify(delimiter)}`);
  }

  /** Feed text; returns the records completed by it. */
  push(text: string, out: ParsedRecord[] = []): ParsedRecord[] {
    // An empty first piece must not use up the BOM check (found by
    // test/unit/fuzz-csv.test.ts: push('') then push('\uFEFF…') kept the BOM).
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buf = this.buf.length ? this.buf + text : text;
    this.drain(false, out);
    return out;
  }

  /** End of input: the last record (without a final newline) and any error. */
  end(out: ParsedRecord[] = []): ParsedRecord[] {
    this.drain(true, out);
    return out;
  }

  private drain(final: boolean, out: ParsedRecord[]): void {
    const buf = this.buf;
    const d = this.delimiter;
    let pos = 0;
    const n = buf.length;
    // The next quote, found once and reused until passed (else every line
    // would rescan the rest of a quote-free buffer: quadratic).
    let quote = -2;
    while (pos < n) {
      const nl = buf.indexOf('\n', pos);
      if (quote !== -1 && quote < pos) quote = buf.indexOf('"', pos);
      if (nl === -1 && !final) break;
      const lineEnd = nl === -1 ? n : nl;
      if (quote === -1 || quote > lineEnd) {
        // Plain line: no quote before its end.
        const text = buf.slice(pos, lineEnd);
        // A lone CR also ends a line (old Mac files): split on it.
        if (text.includes('\r')) {
          const parts = text.split(/\r\n?|\n/);
          if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
          for (let k = 0; k < parts.length; k++) {
            if (parts[k] !== '') out.push({ line: this.line + k, cells: parts[k]!.split(d) });
          }
          this.line += parts.length - 1;
        } else if (text !== '') {
          out.push({ line: this.line, cells: text.split(d) });
        }
        if (nl !== -1) this.line++;
        pos = nl === -1 ? n : nl + 1;
        continue;
      }
      // A record with quotes: character by character; it may span lines.
      const r = this.quoted(buf, pos, final);
      if (r === null) break; // incomplete: wait for more text
      out.push({ line: this.line, cells: r.cells });
      this.line += r.lines;
      pos = r.next;
    }
    this.buf = pos >= n ? '' : buf.slice(pos);
  }

  private quoted(
    buf: string,
    start: number,
    final: boolean,
  ): { cells: string[]; next: number; lines: number } | null {
    const d = this.delimiter;
    const cells: string[] = [];
    let cell = '';
    let i = start;
    let lines = 0;
    const n = buf.length;
    for (;;) {
      // Start of a cell.
      if (i < n && buf[i] === '"') {
        i++;
        for (;;) {
          const q = buf.indexOf('"', i);
          if (q === -1) {
            if (!final) return null;
            throw new CsvSyntaxError('a quoted field is not closed', this.line + lines);
          }
          const piece = buf.slice(i, q);
          for (let k = piece.indexOf('\n'); k !== -1; k = piece.indexOf('\n', k + 1)) lines++;
          cell += piece;
          if (q + 1 < n && buf[q + 1] === '"') {
            cell += '"';
            i = q + 2;
            continue;
          }
          if (q + 1 >= n && !final) return null;
          i = q + 1;
          break;
        }
        // After the closing quote: delimiter, line end or end of input.
        if (i < n && buf[i] !== d && buf[i] !== '\n' && buf[i] !== '\r') {
          throw new CsvSyntaxError(
            `unexpected character ${JSON.stringify(buf[i])} after a closing quote`,
            this.line + lines,
          );
        }
      } else {
        // Unquoted cell: up to the delimiter or line end; a quote inside is literal.
        let j = i;
        while (j < n) {
          const c = buf[j];
          if (c === d || c === '\n' || c === '\r') break;
          j++;
        }
        if (j >= n && !final) return null;
        cell += buf.slice(i, j);
        i = j;
      }
      cells.push(cell);
      cell = '';
      if (i >= n) {
        if (!final) return null;
        return { cells, next: n, lines };
      }
      const c = buf[i];
      if (c === d) {
        i++;
        continue;
      }
      // Line end: CRLF, LF or CR.
      if (c === '\r') {
        if (i + 1 >= n && !final) return null;
        i += buf[i + 1] === '\n' ? 2 : 1;
      } else {
        i++;
      }
      return { cells, next: i, lines: lines + 1 };
    }
  }
}
