/** Who is signed in: the /auth/me answer, shared with every page. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { api, ApiError, ok, setCsrfToken, setOnUnauthenticated, type MeDto } from './api/client';

export interface Session {
  me: MeDto;
  isOperator: boolean;
  can: (p: 'read' | 'write' | 'delete' | 'admin') => boolean;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

export const ME_KEY = ['me'] as const;

export async function fetchMe(): Promise<MeDto | null> {
  try {
    const me = await ok(api.GET('/api/v1/auth/me'));
    setCsrfToken(me.csrfToken);
    return me;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export function SessionGate({
  signedIn,
  signedOut,
}: {
  signedIn: (s: Session) => ReactNode;
  signedOut: ReactNode;
}) {
  const qc = useQueryClient();
  const me = useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: Infinity, retry: false });

  useEffect(() => {
    setOnUnauthenticated(() => {
      setCsrfToken(null);
      qc.setQueryData(ME_KEY, null);
    });
  }, [qc]);

  if (me.isPending) return null;
  if (me.isError) {
    return (
      <p role="alert" style={{ padding: 24 }}>
        The server cannot be reached: {me.error.message}. Reload the page to try again.
      </p>
    );
  }
  if (!me.data) return <>{signedOut}</>;
  const data = me.data;
  const session: Session = {
    me: data,
    isOperator: data.scope === 'operator',
    can: (p) => data.permissions.includes('admin') || data.permissions.includes(p),
    signOut: async () => {
      await api.POST('/api/v1/auth/sign-out');
      setCsrfToken(null);
      qc.setQueryData(ME_KEY, null);
      // Nothing of this user stays in memory for the next one.
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== ME_KEY[0] });
    },
  };
  return <SessionContext.Provider value={session}>{signedIn(session)}</SessionContext.Provider>;
}
