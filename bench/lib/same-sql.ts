/**
 * The exact SQL the app runs: its repository functions (`listNumbers` of
 * src/numbers/numbers.list.ts, `pickAvailable` of numbers.repository.ts) are
 * called with a Kysely instance whose driver executes nothing, and the compiled
 * query they would have sent is captured. The bench then sends that text and
 * those parameters with plain pg.
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
import { pickAvailable, type PoolFilter } from '../../src/numbers/numbers.repository.js';

let captured: CompiledQuery[] = [];

const compiler = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
  log: (event) => {
    captured.push(event.query);
  },
});

export interface PlainQuery {
  text: string;
  values: unknown[];
  /** Planner settings the app sets for this query (`SET LOCAL …`), sent before it in one transaction. */
  settings: string[];
}

/**
 * The one data query `run` sends, with the planner settings it sends before
 * it; transaction control and the app's cached row-estimate look-up aside.
 */
async function capture(run: () => Promise<unknown>): Promise<PlainQuery> {
  captured = [];
  await run();
  const settings = captured.filter((c) => /^\s*set\b/i.test(c.sql)).map((c) => c.sql);
  const q = captured.filter(
    (c) => !/^\s*(begin|commit|rollback|set)\b/i.test(c.sql) && !c.sql.includes('pg_class'),
  );
  if (q.length !== 1) throw new Error(`expected one query, captured ${q.length}`);
  return { text: q[0]!.sql, values: [...q[0]!.parameters], settings };
}

export function listQuery(
  filter: NumberListFilter,
  page: { limit: number; after?: string | undefined; desc: boolean },
): Promise<PlainQuery> {
  return capture(() => listNumbers(compiler, filter, page));
}

/** The allocation pick (SELECT … FOR UPDATE SKIP LOCKED) of POST /numbers/allocate. */
export function pickQuery(filter: PoolFilter): Promise<PlainQuery> {
  return capture(() => compiler.transaction().execute((trx) => pickAvailable(trx, filter)));
}
