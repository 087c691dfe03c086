/**
 * The exact SQL the app runs for a numbers list page: `listNumbers` from
 * src/numbers/numbers.list.ts is called with a Kysely instance whose driver
 * executes nothing, and the compiled query it would have sent is captured.
 * The bench then sends that text and those parameters with plain pg.
 */
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
} from 'kysely';
import type { DB } from '../../src/db/schema.js';
import { listNumbers, type NumberListFilter } from '../../src/numbers/numbers.list.js';

let captured: CompiledQuery | null = null;

const compiler = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
  log: (event) => {
    captured = event.query;
  },
});

export interface PlainQuery {
  text: string;
  values: unknown[];
}

export async function listQuery(
  filter: NumberListFilter,
  page: { limit: number; after?: string | undefined; desc: boolean },
): Promise<PlainQuery> {
  captured = null;
  await listNumbers(compiler, filter, page);
  const q = captured as CompiledQuery | null;
  if (!q) throw new Error('listNumbers sent no query');
  return { text: q.sql, values: [...q.parameters] };
}
