/** Small shared pieces: status badges, utilisation bars, page headers, error alerts. */
import { Alert, Badge, Group, Stack, Text, Title, Tooltip } from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiError, type Status } from '../api/client';
import { statusLabel } from '../api/words';

/** Dot badges keep dark text on white: readable (WCAG AA) whatever the colour. */
const statusColor: Record<Status, string> = {
  available: 'green',
  coolingOff: 'gray',
  reserved: 'yellow',
  active: 'blue',
  assigned: 'violet',
};

export function StatusBadge({ status }: { status: Status }) {
  return (
    <Badge variant="dot" color={statusColor[status]} c="dark.8" tt="none" fw={500}>
      {statusLabel[status]}
    </Badge>
  );
}

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <Group justify="space-between" align="flex-start" mb="md" wrap="nowrap">
      <Stack gap={2}>
        <Title order={1} size="h2">
          {title}
        </Title>
        {description ? (
          <Text c="dimmed" size="sm">
            {description}
          </Text>
        ) : null}
      </Stack>
      {actions ? <Group gap="xs">{actions}</Group> : null}
    </Group>
  );
}

export function ErrorAlert({
  error,
  title = 'Something went wrong',
}: {
  error: unknown;
  title?: string;
}) {
  if (!error) return null;
  const message =
    error instanceof ApiError
      ? `${error.message}${error.problem.errors?.length ? ': ' + error.problem.errors.map((e) => `${e.field} ${e.message}`).join('; ') : ''}`
      : error instanceof Error
        ? error.message
        : typeof error === 'string'
          ? error
          : 'unknown error';
  return (
    <Alert color="red" title={title} role="alert" variant="light" c="dark.8">
      {message}
      {error instanceof ApiError && error.problem.requestId ? (
        <Text size="xs" c="dimmed" mt={4}>
          Request id {error.problem.requestId}
        </Text>
      ) : null}
    </Alert>
  );
}

/** Colours of the utilisation segments, in the order they are drawn. */
export const utilSegments = [
  { key: 'assigned', label: 'Assigned', color: '#5f3dc4' },
  { key: 'active', label: 'Active', color: '#1864ab' },
  { key: 'reserved', label: 'Reserved', color: '#e67700' },
  { key: 'coolingOff', label: 'Cooling off', color: '#868e96' },
  { key: 'available', label: 'Available', color: '#2f9e44' },
] as const;

export interface Utilisation {
  total: number;
  available: number;
  coolingOff: number;
  reserved: number;
  active: number;
  assigned: number;
  locked: number;
}

const pct = (n: number, total: number) => (total ? (100 * n) / total : 0);

export function utilisationSummary(u: Utilisation): string {
  const used = u.total - u.available;
  return `${pct(used, u.total).toFixed(1)}% in use: ${utilSegments
    .map((s) => `${u[s.key].toLocaleString('en-GB')} ${s.label.toLowerCase()}`)
    .join(', ')} of ${u.total.toLocaleString('en-GB')}`;
}

/** A stacked bar: one image with a text alternative, so screen readers get the numbers. */
export function UtilisationBar({ u, label }: { u: Utilisation; label: string }) {
  const summary = utilisationSummary(u);
  return (
    <Tooltip label={summary} withArrow>
      <div className="util-bar" role="img" aria-label={`${label}: ${summary}`}>
        {utilSegments.map((s) =>
          u[s.key] > 0 ? (
            <span
              key={s.key}
              style={{ width: `${pct(u[s.key], u.total)}%`, background: s.color }}
            />
          ) : null,
        )}
      </div>
    </Tooltip>
  );
}

export function UtilisationLegend() {
  return (
    <Group gap="md" aria-hidden>
      {utilSegments.map((s) => (
        <Text key={s.key} size="xs" c="dimmed">
          <span className="legend-swatch" style={{ background: s.color }} />
          {s.label}
        </Text>
      ))}
    </Group>
  );
}

export const sumUtilisation = (list: Utilisation[]): Utilisation =>
  list.reduce(
    (a, u) => ({
      total: a.total + u.total,
      available: a.available + u.available,
      coolingOff: a.coolingOff + u.coolingOff,
      reserved: a.reserved + u.reserved,
      active: a.active + u.active,
      assigned: a.assigned + u.assigned,
      locked: a.locked + u.locked,
    }),
    { total: 0, available: 0, coolingOff: 0, reserved: 0, active: 0, assigned: 0, locked: 0 },
  );
