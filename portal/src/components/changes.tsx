/** Audit changes (`{ field: [before, after] }`) in words. */
import { Code, List, Text } from '@mantine/core';
import type { CustomerDto } from '../api/client';
import { formatDateTime } from '../api/words';

function value(v: unknown, customers: Map<string, CustomerDto>): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'object' && v !== null && 'type' in v) {
    const o = v as { type: string; customerId?: string; targetId?: string; targetName?: string };
    if (o.type === 'operator') return 'operator';
    if (o.type === 'customer' && o.customerId)
      return customers.get(o.customerId)?.name ?? `customer ${o.customerId.slice(0, 8)}`;
    if (o.targetId) return `${o.type} ${o.targetName ?? o.targetId}`;
  }
  if (Array.isArray(v))
    return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') || '—';
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return formatDateTime(v);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function Changes({
  changes,
  customers,
}: {
  changes: Record<string, unknown>;
  customers: Map<string, CustomerDto>;
}) {
  const entries = Object.entries(changes);
  if (entries.length === 0) return null;
  return (
    <List size="sm" spacing={0}>
      {entries.map(([field, change]) =>
        Array.isArray(change) && change.length === 2 ? (
          <List.Item key={field}>
            <Text span size="sm" fw={600}>
              {field}
            </Text>
            : {value(change[0], customers)} → {value(change[1], customers)}
          </List.Item>
        ) : (
          <List.Item key={field}>
            <Text span size="sm" fw={600}>
              {field}
            </Text>
            : <Code>{JSON.stringify(change)}</Code>
          </List.Item>
        ),
      )}
    </List>
  );
}

/** "number.allocate" → "Allocate"; "user.signIn" → "Sign in". */
export function actionWords(action: string): string {
  const verb = action.split('.').pop() ?? action;
  const words = verb.replace(/([A-Z])/g, ' $1').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
