/**
 * The numbers list queries, shared by the numbers table and the start-up
 * prefetch (prefetch.ts): both must build the very same query key, or the
 * prefetched first page is fetched a second time.
 */
import { queryOptions } from '@tanstack/react-query';
import { api, ok, type NumberQuery } from '../api/client';

/** The list query the URL describes (plus the page's fixed filters). */
export function queryFromParams(sp: URLSearchParams, fixed: Partial<NumberQuery>): NumberQuery {
  const q: NumberQuery = {};
  const status = sp.get('status');
  if (status && status !== 'all') q.status = status;
  const holder = sp.get('holder');
  if (holder === 'operator' || holder === 'customer' || holder === 'none') q.holder = holder;
  const syncState = sp.get('syncState');
  if (syncState && syncState !== 'all') q.syncState = syncState;
  for (const k of ['customerId', 'siteId', 'rangeId', 'country', 'kind', 'usage', 'q'] as const) {
    const v = sp.get(k);
    if (v) (q as Record<string, string>)[k] = v;
  }
  if (sp.get('main') === 'true') q.main = true;
  if (sp.get('locked') === 'true') q.locked = true;
  if (sp.get('sort') === '-e164') q.sort = '-e164';
  q.limit = Number(sp.get('limit') ?? '') || 100;
  return { ...q, ...fixed };
}

/** One page of numbers (keyset cursor; undefined = the first page). */
export const numbersPageQuery = (query: NumberQuery, cursor: string | undefined) =>
  queryOptions({
    queryKey: ['numbers', query, cursor],
    queryFn: () => ok(api.GET('/api/v1/numbers', { params: { query: { ...query, cursor } } })),
  });

/** How many numbers the filter matches (a count over up to millions of rows). */
export const numbersTotalQuery = (query: NumberQuery) =>
  queryOptions({
    queryKey: ['numbers', 'count', query],
    queryFn: async () =>
      (
        await ok(
          api.GET('/api/v1/numbers', { params: { query: { ...query, limit: 1, total: true } } }),
        )
      ).total ?? null,
    staleTime: 30_000,
  });
