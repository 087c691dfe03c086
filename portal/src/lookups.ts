/** Lists the pages share to show names instead of ids (customers, sites, ranges). */
import { queryOptions, useQuery } from '@tanstack/react-query';
import {
  api,
  ok,
  type AddressDto,
  type CustomerDto,
  type RangeDto,
  type SiteDto,
} from './api/client';

/** All pages of a cursor list, up to `max` items (pickers and name look-ups). */
async function all<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  max = 5000,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const r = await page(cursor);
    out.push(...r.items);
    cursor = r.nextCursor ?? undefined;
  } while (cursor && out.length < max);
  return out;
}

/** The customer and site name look-ups (also prefetched at start-up, see prefetch.ts). */
export const customersQuery = queryOptions({
  queryKey: ['customers', 'all'],
  staleTime: 60_000,
  queryFn: () =>
    all<CustomerDto>((cursor) =>
      ok(api.GET('/api/v1/customers', { params: { query: { limit: 1000, cursor } } })),
    ),
});

export const sitesQuery = queryOptions({
  queryKey: ['sites', 'all'],
  staleTime: 60_000,
  queryFn: () =>
    all<SiteDto>((cursor) =>
      ok(api.GET('/api/v1/sites', { params: { query: { limit: 1000, cursor } } })),
    ),
});

export function useCustomers() {
  return useQuery(customersQuery);
}

export function useSites() {
  return useQuery(sitesQuery);
}

export function useRanges(enabled = true) {
  return useQuery({
    queryKey: ['ranges', 'all'],
    // Utilisation changes with every action: always fresh when a page opens.
    staleTime: 0,
    enabled,
    queryFn: () =>
      all<RangeDto>((cursor) =>
        ok(api.GET('/api/v1/ranges', { params: { query: { limit: 1000, cursor } } })),
      ),
  });
}

export function byId<T extends { id: string }>(list: T[] | undefined): Map<string, T> {
  return new Map((list ?? []).map((x) => [x.id, x]));
}

/** Civic addresses by id, for the emergency columns (only fetched when shown). */
export function useAddresses(enabled: boolean) {
  return useQuery({
    queryKey: ['civic-addresses', 'all'],
    staleTime: 60_000,
    enabled,
    queryFn: () =>
      all<AddressDto>((cursor) =>
        ok(api.GET('/api/v1/civic-addresses', { params: { query: { limit: 1000, cursor } } })),
      ),
  });
}
