/**
 * Cleanup stack: every resource the bench starts registers how to undo it;
 * `runCleanup` undoes them in reverse order, once, even after a failure or a
 * Ctrl-C.
 */
import { progress } from './log.js';

const STEP_TIMEOUT_MS = 10_000;

/** A cleanup step that hangs (a pool waiting for a stuck client) must not stop the next. */
function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

type Step = { name: string; fn: () => Promise<void> | void };
const steps: Step[] = [];
let running: Promise<void> | null = null;

export function onCleanup(name: string, fn: () => Promise<void> | void): void {
  steps.push({ name, fn });
}

export function runCleanup(): Promise<void> {
  running ??= (async () => {
    while (steps.length) {
      const step = steps.pop()!;
      if (process.env.BENCH_DEBUG) progress(`cleanup: ${step.name}`);
      try {
        await withTimeout(Promise.resolve().then(step.fn), STEP_TIMEOUT_MS);
      } catch (err) {
        progress(`cleanup "${step.name}" failed: ${(err as Error).message}`);
      }
    }
  })();
  return running;
}

/**
 * Ctrl-C / kill: clean up, then exit with the conventional code. An error
 * nobody catches (e.g. a pg client whose backend is killed while a query runs
 * at Ctrl-C) is reported and cleaned up after too, never left to kill the
 * process halfway through the cleanup.
 */
export function cleanupOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      progress(`${signal}: cleaning up`);
      void runCleanup().finally(() => process.exit(code));
    });
  }
  process.on('uncaughtException', (err) => {
    progress(`uncaught: ${err.message}`);
    void runCleanup().finally(() => process.exit(1));
  });
}
