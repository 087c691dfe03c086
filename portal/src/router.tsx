/**
 * A small history-API router: the portal has a dozen pages and needs no
 * nested routing library. Filters live in the query string, so a page can
 * be bookmarked or shared exactly as it is.
 */
import { Anchor, type AnchorProps } from '@mantine/core';
import { useCallback, useSyncExternalStore, type MouseEvent, type ReactNode } from 'react';

const EVENT = 'numbat:navigate';

function subscribe(cb: () => void) {
  window.addEventListener('popstate', cb);
  window.addEventListener(EVENT, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(EVENT, cb);
  };
}

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
  if (!opts.replace) window.scrollTo(0, 0);
}

export function useLocation(): { path: string; search: URLSearchParams; href: string } {
  const href = useSyncExternalStore(
    subscribe,
    () => window.location.pathname + window.location.search,
  );
  const [path, query = ''] = href.split('?');
  return { path: path ?? '/', search: new URLSearchParams(query), href };
}

/** Read and write query-string parameters (replace, so Back leaves the page). */
export function useSearchParams(): [
  URLSearchParams,
  (next: Record<string, string | null>) => void,
] {
  const { search, path } = useLocation();
  const set = useCallback(
    (next: Record<string, string | null>) => {
      const p = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(next)) {
        if (v === null || v === '') p.delete(k);
        else p.set(k, v);
      }
      const qs = p.toString();
      navigate(qs ? `${path}?${qs}` : path, { replace: true });
    },
    [path],
  );
  return [search, set];
}

export function Link({
  to,
  children,
  ...rest
}: { to: string; children: ReactNode } & AnchorProps & { 'aria-label'?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <Anchor href={to} onClick={onClick} {...rest}>
      {children}
    </Anchor>
  );
}

/** Match `/numbers/:e164` style patterns; returns the decoded parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const re = new RegExp(
    `^${pattern.replace(/:(\w+)/g, (_, n: string) => {
      names.push(n);
      return '([^/]+)';
    })}/?$`,
  );
  const m = re.exec(path);
  if (!m) return null;
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
}
