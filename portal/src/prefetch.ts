/**
 * Issue #6: the numbers page's data is asked for the moment the bundle runs,
 * in parallel with the session check (/auth/me), instead of after it and after
 * the whole shell has rendered. The profile of a 1,000,000-number inventory
 * showed the list request starting only after /me had answered and React had
 * rendered the shell, the filters and the empty table: a network round trip
 * plus a long render task in series before the first row could be fetched.
 *
 * The requests are the very ones the page makes (same query keys and
 * functions), so the page finds them in the cache or in flight. Signed out,
 * they answer 401 and are dropped: the sign-in page shows as before, and the
 * page asks again after sign-in.
 */
import type { QueryClient } from '@tanstack/react-query';
import { fetchMe, ME_KEY } from './auth';
import { numbersPageQuery, queryFromParams } from './components/numbersQuery';
import { customersQuery, sitesQuery } from './lookups';
import { match } from './router';

export function prefetchFirstScreen(qc: QueryClient, location: Location = window.location): void {
  // The session check first (every page needs it; the server answers in order
  // of arrival), before React's first render instead of after it.
  void qc.prefetchQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: Infinity, retry: false });
  if (!match('/numbers', location.pathname)) return;
  const query = queryFromParams(new URLSearchParams(location.search), {});
  void qc.prefetchQuery(numbersPageQuery(query, undefined));
  // The holder and site columns show names: fetched alongside, so the rows render once.
  void qc.prefetchQuery(customersQuery);
  void qc.prefetchQuery(sitesQuery);
}
