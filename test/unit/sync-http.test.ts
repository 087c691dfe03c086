/** Backoff of the connectors' HTTP layer (SPEC §8: exponential backoff with jitter, Retry-After). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultRetryPolicy } from '../../src/sync/connectors/http.js';

const now = new Date('2026-01-01T00:00:00Z');

describe('backoffDelay', () => {
  it('without Retry-After: full jitter below base × 2^(attempt-1), never above the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, r) => {
          const d = backoffDelay(attempt, null, defaultRetryPolicy, () => r, now);
          const ceiling = Math.min(200 * 2 ** (attempt - 1), 30_000);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(ceiling);
        },
      ),
    );
  });

  it('honours Retry-After in seconds or as an HTTP date, capped at maxDelayMs', () => {
    const random = () => 0.5;
    expect(backoffDelay(1, '7', defaultRetryPolicy, random, now)).toBe(7000);
    expect(backoffDelay(1, '0', defaultRetryPolicy, random, now)).toBe(0);
    expect(backoffDelay(3, 'Thu, 01 Jan 2026 00:00:12 GMT', defaultRetryPolicy, random, now)).toBe(
      12_000,
    );
    expect(backoffDelay(1, '3600', defaultRetryPolicy, random, now)).toBe(30_000);
    // An unreadable header falls back to the jittered backoff.
    expect(backoffDelay(2, 'soon', defaultRetryPolicy, random, now)).toBe(200);
  });
});
