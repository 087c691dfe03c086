/**
 * Streams the numbers export (SPEC §4) from PostgreSQL: COPY … TO STDOUT on a
 * dedicated connection, released when the stream ends, fails or is abandoned.
 */
import { Transform, type Readable } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../db/pool.js';
import type { NumberListFilter } from '../numbers/numbers.list.js';
import { exportCopy } from './exports.repository.js';

export async function streamNumbersCsv(
  pool: pg.Pool,
  db: Db,
  filter: NumberListFilter,
): Promise<Readable> {
  const client = await pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    // A connection abandoned mid-COPY is in an unknown protocol state: destroy it.
    client.release(err);
  };
  try {
    const stream = client.query(copyTo(exportCopy(db, filter)));
    stream.on('end', () => release());
    stream.on('error', (err) => release(err));
    stream.on('close', () => release(released ? undefined : new Error('export abandoned')));
    // PostgreSQL sends one CopyData message per row: without batching, a
    // million rows are a million writes to the socket or file.
    const batched = batch(64 * 1024);
    stream.on('error', (err) => batched.destroy(err));
    batched.on('close', () => {
      if (!stream.destroyed) stream.destroy();
    });
    return stream.pipe(batched);
  } catch (err) {
    release(err as Error);
    throw err;
  }
}

/** Collects small chunks into buffers of about `size` bytes. */
function batch(size: number): Transform {
  let parts: Buffer[] = [];
  let length = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= size) {
        const out = Buffer.concat(parts, length);
        parts = [];
        length = 0;
        done(null, out);
      } else {
        done();
      }
    },
    flush(done) {
      done(null, length ? Buffer.concat(parts, length) : undefined);
    },
  });
}
