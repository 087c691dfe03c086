/**
 * Reads an import CSV as people really have it (SPEC §4): UTF-8 with or
 * without BOM, `,` or `;` (detected from the header line), CRLF or LF, quoted
 * fields. Yields records in batches with the line each starts on, and hashes
 * the bytes as they pass (the import's identity for R-50 reruns).
 */
import { createHash } from 'node:crypto';
import { detectDelimiter } from '../domain/csv.js';
import { CsvParser, CsvSyntaxError, type ParsedRecord } from '../domain/csv-parser.js';

/** The file is not CSV we can read (not UTF-8, unclosed quote, …): the whole import is refused. */
export class CsvFormatError extends Error {
  override readonly name = 'CsvFormatError';
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message);
  }
}

export interface CsvReader {
  /** Batches of records, in file order. */
  batches: AsyncGenerator<ParsedRecord[]>;
  /** sha256 of all bytes read; complete once `batches` is exhausted. */
  digest: () => string;
  bytesRead: () => number;
}

export function readCsv(source: AsyncIterable<Buffer | string>): CsvReader {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | null = null;

  async function* batches(): AsyncGenerator<ParsedRecord[]> {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let parser: CsvParser | null = null;
    let pending = '';
    const decode = (b: Buffer, stream: boolean) => {
      try {
        return decoder.decode(b, { stream });
      } catch {
        throw new CsvFormatError(
          'the file is not UTF-8 text; save it as "CSV UTF-8" and upload it again',
          null,
        );
      }
    };
    try {
      for await (const c of source) {
        const b = typeof c === 'string' ? Buffer.from(c) : c;
        hash.update(b);
        bytes += b.length;
        const text = decode(b, true);
        if (!parser) {
          // The delimiter comes from the header line: wait until it is complete.
          pending += text;
          const nl = pending.search(/[\r\n]/);
          if (nl === -1 && pending.length < 65_536) continue;
          parser = new CsvParser(detectDelimiter(nl === -1 ? pending : pending.slice(0, nl)));
          const out = parser.push(pending);
          pending = '';
          if (out.length) yield out;
          continue;
        }
        const out = parser.push(text);
        if (out.length) yield out;
      }
      const tail = decode(Buffer.alloc(0), false);
      let out: ParsedRecord[];
      if (!parser) {
        const all = pending + tail;
        parser = new CsvParser(detectDelimiter(all.split(/[\r\n]/, 1)[0] ?? ''));
        out = parser.push(all);
      } else {
        out = tail ? parser.push(tail) : [];
      }
      parser.end(out);
      if (out.length) yield out;
    } catch (err) {
      if (err instanceof CsvSyntaxError)
        throw new CsvFormatError(
          `the file is not valid CSV: ${err.message} (line ${err.line})`,
          err.line,
        );
      throw err;
    }
    digest = hash.digest('hex');
  }

  return {
    batches: batches(),
    digest: () => {
      if (digest === null) throw new Error('digest read before the file was fully read');
      return digest;
    },
    bytesRead: () => bytes,
  };
}
