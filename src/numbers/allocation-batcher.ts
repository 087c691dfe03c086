/**
 * Group commit for POST /numbers/allocate (issue #7: allocation throughput at
 * 50 clients). One allocation per statement pays its own transaction, commit
 * (a WAL flush) and round trip; concurrent allocations with the same pool
 * filter are instead coalesced into ONE statement
 * (numbers.repository allocateBatchInOneStatement).
 *
 * Leader/follower, no timer: per filter ("lane") at most MAX_IN_FLIGHT
 * statements run at a time. A request arriving at an idle lane is sent at
 * once, alone (a lone request is never delayed); requests arriving while the
 * lane's statement runs wait for it to finish and then go together in the
 * next one. The batch grows with the load by itself: it is whatever arrived
 * during one statement's round trip and commit.
 *
 * Each request keeps its own outcome: its slot is its numbers, or null when
 * the statement gave it nothing (R-12 holder not active, too few numbers
 * left for it, an unusual number in its share) — the caller then takes the
 * general path for that request alone, which gives the precise answer. If
 * PostgreSQL refuses the statement itself, every request of the batch gets
 * null and takes the general path on its own, so no request fails because
 * of another (a lost connection fails them all, as it would lone requests:
 * the commit may have happened, so they are not retried).
 */
import type { Db } from '../db/pool.js';
import {
  allocateBatchInOneStatement,
  type BatchRequest,
  type NumberRow,
  type PoolFilter,
} from './numbers.repository.js';

/**
 * Statements in flight per lane: 1 is the classic leader/follower. Measured
 * (interleaved rounds of 1,500 allocations, 50 clients, load ~13): 1 in flight
 * 1,009–1,418 /s, 2: 824–1,361 /s, 4: 900–1,289 /s, unbatched 311–695 /s;
 * again at load ~14, 4 rounds each: 1 in flight 452–1,107, 2: 584–1,116,
 * 3: 548–970. No setting won beyond the noise; 1 keeps batches largest.
 */
export const MAX_IN_FLIGHT = 1;
/** Numbers per statement at most (a request asking for more is never batched). */
export const MAX_BATCH_NUMBERS = 200;
/** Requests asking for more than this many numbers take the single path. */
export const MAX_BATCHED_COUNT = 50;

/** Process-wide counters (the bench reports the mean batch from them). */
export const batchStats = { statements: 0, requests: 0, largest: 0 };

export type LaneFilter = Omit<PoolFilter, 'count' | 'now'>;

interface Waiter {
  request: BatchRequest;
  resolve: (rows: NumberRow[] | null) => void;
  reject: (err: unknown) => void;
}

/**
 * PostgreSQL refused the statement (a SQLSTATE): its transaction rolled back,
 * nothing was written. Anything else (a lost connection) may have come after
 * the commit, so retrying could allocate twice.
 */
const refusedByServer = (err: unknown) =>
  typeof (err as { code?: unknown }).code === 'string' &&
  /^[0-9A-Z]{5}$/.test((err as { code: string }).code);

interface Lane {
  filter: LaneFilter;
  waiting: Waiter[];
  inFlight: number;
}

export interface AllocationBatcher {
  /** This request's numbers, or null: take the general path for it. */
  allocate(request: BatchRequest, filter: LaneFilter): Promise<NumberRow[] | null>;
}

const laneKey = (f: LaneFilter) =>
  JSON.stringify([f.siteId ?? null, f.rangeId ?? null, f.country ?? null, f.kinds ?? null]);

export function createAllocationBatcher(
  db: Db,
  now: () => Date,
  opts: { maxInFlight?: number; maxBatchNumbers?: number } = {},
): AllocationBatcher {
  const maxInFlight = opts.maxInFlight ?? MAX_IN_FLIGHT;
  const maxNumbers = opts.maxBatchNumbers ?? MAX_BATCH_NUMBERS;
  const lanes = new Map<string, Lane>();

  async function send(lane: Lane, batch: Waiter[]): Promise<void> {
    let results: (NumberRow[] | null)[];
    batchStats.statements++;
    batchStats.requests += batch.length;
    batchStats.largest = Math.max(batchStats.largest, batch.length);
    try {
      results = await allocateBatchInOneStatement(
        db,
        batch.map((w) => w.request),
        { ...lane.filter, now: now() },
      );
    } catch (err) {
      // Refused by the server: nothing was written (one statement, one
      // transaction), so each request retries alone on the general path and
      // gets its own answer. Otherwise the outcome is unknown: each request
      // fails as a lone one would have (500), never retried.
      if (!refusedByServer(err)) return batch.forEach((w) => w.reject(err));
      results = batch.map(() => null);
    }
    batch.forEach((w, i) => w.resolve(results[i] ?? null));
  }

  function pump(key: string, lane: Lane): void {
    while (lane.inFlight < maxInFlight && lane.waiting.length > 0) {
      const batch: Waiter[] = [];
      let total = 0;
      while (
        lane.waiting.length > 0 &&
        (batch.length === 0 || total + lane.waiting[0]!.request.count <= maxNumbers)
      ) {
        const w = lane.waiting.shift()!;
        total += w.request.count;
        batch.push(w);
      }
      lane.inFlight++;
      void send(lane, batch).finally(() => {
        lane.inFlight--;
        if (lane.waiting.length > 0) pump(key, lane);
        else if (lane.inFlight === 0) lanes.delete(key);
      });
    }
  }

  return {
    allocate(request, filter) {
      const key = laneKey(filter);
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = { filter, waiting: [], inFlight: 0 }));
      const result = new Promise<NumberRow[] | null>((resolve, reject) =>
        lane.waiting.push({ request, resolve, reject }),
      );
      pump(key, lane);
      return result;
    },
  };
}
