/**
 * The job worker (issue 3): claims jobs from the `jobs` table with FOR UPDATE
 * SKIP LOCKED under a lease, keeps the lease alive with heartbeats, and
 * records the outcome on the job. A worker that dies stops heartbeating; its
 * lease runs out and another worker reclaims the job (resume = run again:
 * handlers are idempotent), or, once `max_attempts` are used, the job ends
 * visibly `failed`. Nothing is silently lost.
 *
 * Why not pg-boss: the `jobs` table is the system of record (progress,
 * per-item errors, who started it, customer scope). pg-boss would keep a
 * second copy of the queue state in its own schema that must be kept in step
 * with it; this loop is the ~150 lines of SKIP LOCKED + lease that the jobs
 * table needs anyway (docs/decisions.md).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Actor } from '../actor.js';
import type { Db } from '../db/pool.js';
import {
  claimJob,
  finishJob,
  heartbeat,
  insertItemErrors,
  requeueJob,
  setProgress,
  type JobRow,
} from './jobs.repository.js';

/** Thrown by a handler when the job was cancelled (it ends `cancelled`). */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  constructor() {
    super('cancelled on request');
  }
}

/** Thrown by a handler for failures that a retry cannot fix (bad input): no further attempts. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

export interface JobOutcome {
  status: 'succeeded' | 'partiallySucceeded' | 'failed';
  result?: Record<string, unknown>;
  error?: string;
}

export interface JobContext {
  job: JobRow;
  /** The principal who started the job acts (audit events name them). */
  actor: Actor;
  progress: (p: {
    done?: number;
    failed?: number;
    total?: number | null;
    note?: string;
  }) => Promise<void>;
  itemErrors: (errors: readonly { item: string; code: string; message: string }[]) => Promise<void>;
  /** Throws JobCancelledError when cancellation was requested (checked between chunks). */
  checkCancelled: () => void;
}

export type JobHandler = (ctx: JobContext) => Promise<JobOutcome>;

export interface WorkerOptions {
  db: Db;
  handlers: Record<string, JobHandler>;
  /** Lease length; a worker silent this long is taken for dead. Default 30 s. */
  leaseMs?: number;
  /** Idle poll interval. Default 1 s. */
  pollMs?: number;
  /** Retry delay after a failed attempt (times 2^(attempt-1)). Default 5 s. */
  backoffMs?: number;
  log?: (msg: string, err?: unknown) => void;
}

export interface Worker {
  id: string;
  /** Run jobs until none is claimable, then return how many ran (tests, CLI). */
  drain: () => Promise<number>;
  /** Poll forever (until stop). */
  start: () => void;
  stop: () => Promise<void>;
}

export function jobActor(job: JobRow): Actor {
  return {
    principal: {
      id: job.created_by_id,
      name: job.created_by_name,
      permissions: new Set(['read', 'write', 'delete', 'admin']),
      scope: job.customer_id
        ? { type: 'customer', customerId: job.customer_id }
        : { type: 'operator' },
    },
    source: job.source,
    requestId: job.request_id,
    ticketId: job.ticket_id,
  };
}

export function createWorker(opts: WorkerOptions): Worker {
  const id = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = opts.leaseMs ?? 30_000;
  const pollMs = opts.pollMs ?? 1_000;
  const backoffMs = opts.backoffMs ?? 5_000;
  const log = opts.log ?? (() => undefined);
  const kinds = Object.keys(opts.handlers);
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  async function runOne(job: JobRow): Promise<void> {
    // A job reclaimed after its worker died counts that attempt: give up visibly.
    if (job.attempts > job.max_attempts) {
      await finishJob(opts.db, job.id, id, {
        status: 'failed',
        error:
          job.error ??
          `abandoned: the worker running it stopped ${job.max_attempts} time(s) without finishing`,
      });
      return;
    }
    const handler = opts.handlers[job.kind]!;
    let cancelRequested = job.cancel_requested;
    let lost = false;
    const beat = setInterval(
      () => {
        heartbeat(opts.db, job.id, id, leaseMs)
          .then((h) => {
            lost = !h.held;
            cancelRequested = h.cancelRequested;
          })
          .catch((err: unknown) => log(`job ${job.id}: heartbeat failed`, err));
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    const ctx: JobContext = {
      job,
      actor: jobActor(job),
      progress: (p) => setProgress(opts.db, job.id, p),
      itemErrors: (errors) => insertItemErrors(opts.db, job.id, errors),
      checkCancelled: () => {
        if (cancelRequested || lost) throw new JobCancelledError();
      },
    };
    try {
      const outcome = await handler(ctx);
      await finishJob(opts.db, job.id, id, {
        status: outcome.status,
        result: outcome.result ?? null,
        error: outcome.error ?? null,
      });
    } catch (err) {
      if (err instanceof JobCancelledError) {
        await finishJob(opts.db, job.id, id, { status: 'cancelled', error: err.message });
      } else {
        const message = err instanceof Error ? err.message : String(err);
        log(`job ${job.id} (${job.kind}) attempt ${job.attempts} failed: ${message}`, err);
        if (err instanceof PermanentJobError || job.attempts >= job.max_attempts) {
          await finishJob(opts.db, job.id, id, { status: 'failed', error: message });
        } else {
          await requeueJob(opts.db, job.id, id, message, backoffMs * 2 ** (job.attempts - 1));
        }
      }
    } finally {
      clearInterval(beat);
    }
  }

  async function tick(): Promise<boolean> {
    const job = await claimJob(opts.db, id, leaseMs, kinds);
    if (!job) return false;
    await runOne(job);
    return true;
  }

  return {
    id,
    async drain() {
      let n = 0;
      while (await tick()) n++;
      return n;
    },
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          let worked = false;
          try {
            worked = await tick();
          } catch (err) {
            // Background loops report failures and keep running (STYLE.md).
            log('job worker: claiming failed', err);
          }
          if (!worked && running) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, pollMs);
              wake = () => {
                clearTimeout(t);
                resolve();
              };
            });
            wake = null;
          }
        }
      })();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
