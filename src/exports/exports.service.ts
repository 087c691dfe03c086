/**
 * Streams the numbers export (SPEC §4) from PostgreSQL: COPY … TO STDOUT on a
 * dedicated connection, released when the stream ends, fails or is abandoned.
 */
import type { Readable } from 'node:stream';
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
    return stream;
  } catch (err) {
    release(err as Error);
    throw err;
  }
}
