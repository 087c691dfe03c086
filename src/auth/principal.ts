/**
 * who is calling, what it may do, and which customer's data it may see.
 * Pure: the HTTP edge builds a Principal from a token (or, later, a session).
 */
export const permissions = ['read', 'write', 'delete', 'admin'] as const;
export type Permission = (typeof permissions)[number];

export type Scope = { type: 'operator' } | { type: 'customer'; customerId: string };

export interface Principal {
  /** `token:<uuid>`, `user:<uuid>` or `system`. */
  id: string;
  name: string;
  permissions: ReadonlySet<Permission>;
  scope: Scope;
}

/** `admin` implies all; `write` and `delete` need `read`. */
export function normalizePermissions(input: readonly Permission[]): Permission[] {
  const set = new Set(input);
  if (set.has('admin')) return [...permissions];
  if (set.has('write') || set.has('delete')) set.add('read');
  return permissions.filter((p) => set.has(p));
}

export function can(principal: Principal, needed: Permission): boolean {
  return principal.permissions.has('admin') || principal.permissions.has(needed);
}

export function parseScope(text: string): Scope | null {
  if (text === 'operator') return { type: 'operator' };
  const m = /^customer:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(text);
  return m ? { type: 'customer', customerId: m[1]!.toLowerCase() } : null;
}

export function formatScope(scope: Scope): string {
  return scope.type === 'operator' ? 'operator' : `customer:${scope.customerId}`;
}

/** The customer a principal is confined to, or null for operator scope. */
export function customerScope(principal: Principal): string | null {
  return principal.scope.type === 'customer' ? principal.scope.customerId : null;
}

/** Whether `principal` may see an object belonging to `customerId` (null = operator's). */
export function canSee(principal: Principal, customerId: string | null): boolean {
  const own = customerScope(principal);
  return own === null || own === customerId;
}

export const systemPrincipal: Principal = {
  id: 'system',
  name: 'system',
  permissions: new Set(permissions),
  scope: { type: 'operator' },
};
