import type { Principal } from './auth/principal.js';

export type Source = 'api' | 'ui' | 'import' | 'sync' | 'system';

/** Who is making a change and through what: every audit event carries it (SPEC §11). */
export interface Actor {
  principal: Principal;
  source: Source;
  requestId: string | null;
  /** optional ticket id of at most 64 characters. */
  ticketId: string | null;
}
