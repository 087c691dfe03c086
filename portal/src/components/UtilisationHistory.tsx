/**
 * The dashboard's "utilisation over time": the daily snapshots of one site or
 * range (GET /api/v1/utilisation/history), as stacked columns per day. A
 * customer admin picks among sites and sees its own holdings there.
 */
import { Button, Group, SegmentedControl, Select, Stack, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type RangeDto, type SiteDto } from '../api/client';
import { useSession } from '../auth';
import { HistoryChart, formatDay } from './charts';
import { ErrorAlert, UtilisationLegend } from './common';

const periods = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
];

export function UtilisationHistory({
  sites,
  ranges,
  preferredSiteId,
}: {
  sites: SiteDto[];
  ranges: RangeDto[];
  /** Shown first: e.g. the site with the most numbers. */
  preferredSiteId: string | undefined;
}) {
  const session = useSession();
  const qc = useQueryClient();
  const [picked, setPicked] = useState<string | null>(null);
  const [days, setDays] = useState('90');
  const [taking, setTaking] = useState(false);
  const [takeError, setTakeError] = useState<unknown>(null);
  const [taken, setTaken] = useState<string | null>(null);
  const fallback = preferredSiteId ?? sites[0]?.id;
  const value =
    picked ?? (fallback ? `site:${fallback}` : ranges[0] ? `range:${ranges[0].id}` : null);
  const [type, id] = value ? (value.split(':') as ['site' | 'range', string]) : [null, null];
  const history = useQuery({
    queryKey: ['utilisation-history', type, id, days],
    enabled: id !== null,
    queryFn: () =>
      ok(
        api.GET('/api/v1/utilisation/history', {
          params: {
            // The server's today ends the window (days up to it).
            query:
              type === 'site'
                ? { siteId: id, days: Number(days) }
                : { rangeId: id!, days: Number(days) },
          },
        }),
      ),
  });

  async function takeNow() {
    setTaking(true);
    setTakeError(null);
    try {
      const r = await ok(api.POST('/api/v1/utilisation/snapshots'));
      setTaken(r.day);
      await qc.invalidateQueries({ queryKey: ['utilisation-history'] });
    } catch (err) {
      setTakeError(err);
    } finally {
      setTaking(false);
    }
  }

  const data = [
    {
      group: 'Sites',
      items: sites.map((s) => ({ value: `site:${s.id}`, label: s.name })),
    },
    ...(ranges.length
      ? [{ group: 'Ranges', items: ranges.map((r) => ({ value: `range:${r.id}`, label: r.name })) }]
      : []),
  ];
  const name = history.data?.scope.name ?? '';
  const points = history.data?.items ?? [];

  return (
    <Stack gap="xs">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Title order={2} size="h4">
          Utilisation over time
        </Title>
        {session.isOperator && session.can('write') ? (
          <Button size="xs" variant="default" loading={taking} onClick={() => void takeNow()}>
            Take a snapshot now
          </Button>
        ) : null}
      </Group>
      <Group gap="sm" align="flex-end" wrap="wrap">
        <Select
          label={session.isOperator ? 'Site or range' : 'Site'}
          data={data}
          value={value}
          onChange={(v) => setPicked(v)}
          searchable
          allowDeselect={false}
          w={280}
          size="xs"
        />
        <SegmentedControl
          aria-label="Period"
          size="xs"
          data={periods}
          value={days}
          onChange={setDays}
        />
      </Group>
      <ErrorAlert error={history.error ?? takeError} />
      {taken ? (
        <Text size="xs" c="dimmed" role="status">
          Snapshot of {formatDay(taken)} taken.
        </Text>
      ) : null}
      <UtilisationLegend />
      {points.length > 0 ? (
        <HistoryChart
          title={
            session.isOperator
              ? `Utilisation of ${name}`
              : `Numbers of ${session.me.customer?.name ?? 'your organisation'} at ${name}`
          }
          points={points}
        />
      ) : (
        <Text size="sm" c="dimmed" data-testid="history-empty">
          {history.isPending && id !== null
            ? 'Loading…'
            : `No snapshot in the last ${days} days yet: the worker takes one every day (UTC).`}
        </Text>
      )}
    </Stack>
  );
}
