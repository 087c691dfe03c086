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
  type DatabaseConnection,
  type QueryResult,
} from 'kysely';
import type { DB } from '../../src/db/schema.js';
import { listNumbers, type NumberListFilter } from '../../src/numbers/numbers.list.js';
import type { Actor } from '../../src/actor.js';
import type { Holder } from '../../src/domain/lifecycle.js';
import {
  allocateInOneStatement,
  pickAvailable,
  type PoolFilter,
} from '../../src/numbers/numbers.repository.js';

let captured: CompiledQuery[] = [];
/** What the capturing driver answers to the app's row-estimate look-up (pg_class.reltuples). */
let rowsEstimate = 0;

/**
 * The app's list steering depends on the table's row estimate
 * (numbers.list.ts estimatedRows); set it to the database's, so that the
 * captured SQL and planner settings are the ones the app chooses.
 */
export function setRowsEstimate(n: number): void {
  rowsEstimate = n;
}

/** Executes nothing; answers only the row-estimate look-up. */
class CaptureDriver extends DummyDriver {
  override acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve({
      executeQuery: <R>(q: CompiledQuery): Promise<QueryResult<R>> =>
        Promise.resolve({
          rows: (q.sql.includes('pg_class') ? [{ n: rowsEstimate }] : []) as R[],
        }),
      // eslint-disable-next-line require-yield
      streamQuery: async function* <R>(): AsyncIterableIterator<QueryResult<R>> {
        return;
      },
    });
  }
}

const compiler = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new CaptureDriver(),
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

/** The one statement of POST /numbers/allocate's common case (allocateInOneStatement). */
export function allocateQuery(
  actor: Actor,
  holder: Holder,
  filter: PoolFilter,
): Promise<PlainQuery> {
  return capture(() => allocateInOneStatement(compiler, actor, holder, filter));
}
