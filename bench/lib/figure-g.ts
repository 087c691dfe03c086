/**
 * Figure G: `GET /api/v1/numbers/{e164}` throughput from CLIENTS concurrent
 * keep-alive clients, against a bare Fastify route in the same process
 * (no plugins, no hooks, no auth, no schemas) that runs the same query
 * (`getNumber` of numbers.repository.ts) on the same pool and returns the same
 * JSON (`presentNumber`, with the ETag header). Both sides ask for the same
 * seeded list of numbers, in alternating rounds, so both meet the same
 * background load; the bodies of a sample are compared byte for byte first.
 */
import { onCleanup } from './cleanup.js';
import { Api } from './http.js';
import { progress } from './log.js';
import { rng } from './stats.js';

export const CLIENTS = 50;
/** Requests per round and side; ROUNDS rounds each, taking turns. */
const PER_ROUND = 4_000;
const ROUNDS = 3;
/** issue #7 item 4: ours ≥ 60 % of the bare route's throughput. */
export const TARGET_SHARE = 0.6;

export interface FigureG {
  clients: number;
  requests: number;
  ours: { perSecond: number; seconds: number };
  bare: { perSecond: number; seconds: number };
  /** ours ÷ bare. */
  share: number;
  /** The first sample's body was the same on both sides. */
  sameJson: boolean;
}

/** Sends every path once from `clients` concurrent loops; every reply must be 200. */
async function blast(api: Api, paths: readonly string[], clients: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < paths.length; i = next++) {
        const r = await api.request('GET', paths[i]!);
        if (r.status !== 200) {
          throw new Error(`GET ${paths[i]} → ${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    }),
  );
  return (performance.now() - start) / 1000;
}

export async function figureG(
  baseUrl: string,
  token: string,
  bareUrl: string,
  range: { start: string; count: number },
): Promise<FigureG> {
  const ours = new Api(baseUrl, token, CLIENTS);
  const plain = new Api(bareUrl, 'unused', CLIENTS);
  onCleanup('close figure G clients', () => {
    ours.close();
    plain.close();
  });
  const base = BigInt(range.start.slice(1));
  const r = rng(4242);
  const numbers = Array.from(
    { length: PER_ROUND },
    () => `%2B${(base + BigInt(Math.floor(r() * range.count))).toString()}`,
  );
  const oursPaths = numbers.map((e) => `/api/v1/numbers/${e}`);
  const barePaths = numbers.map((e) => `/bare/numbers/${e}`);

  const a = await ours.request<unknown>('GET', oursPaths[0]!);
  const b = await plain.request<unknown>('GET', barePaths[0]!);
  const sameJson = JSON.stringify(a.body) === JSON.stringify(b.body) && a.status === 200;
  if (!sameJson)
    progress(`G: bodies differ: ${JSON.stringify(a.body)} vs ${JSON.stringify(b.body)}`);

  progress(`G: warm-up (${CLIENTS} clients, ${PER_ROUND / 4} requests each side)`);
  await blast(ours, oursPaths.slice(0, PER_ROUND / 4), CLIENTS);
  await blast(plain, barePaths.slice(0, PER_ROUND / 4), CLIENTS);

  let oursSeconds = 0;
  let bareSeconds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      oursSeconds += await blast(ours, oursPaths, CLIENTS);
      bareSeconds += await blast(plain, barePaths, CLIENTS);
    } else {
      bareSeconds += await blast(plain, barePaths, CLIENTS);
      oursSeconds += await blast(ours, oursPaths, CLIENTS);
    }
  }
  const requests = PER_ROUND * ROUNDS;
  const result: FigureG = {
    clients: CLIENTS,
    requests,
    ours: { perSecond: requests / oursSeconds, seconds: oursSeconds },
    bare: { perSecond: requests / bareSeconds, seconds: bareSeconds },
    share: bareSeconds / oursSeconds,
    sameJson,
  };
  progress(
    `G: ours ${result.ours.perSecond.toFixed(0)}/s, bare ${result.bare.perSecond.toFixed(0)}/s, ` +
      `${(result.share * 100).toFixed(0)} %`,
  );
  return result;
}
