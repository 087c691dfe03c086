/** The dashboard: numbers by state, utilisation per site and per range (now and over time), sites running low. */
import { Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, ok, type Status } from '../api/client';
import { statusLabel } from '../api/words';
import { useSession } from '../auth';
import { BarChart, StackedBars } from '../components/charts';
import { ErrorAlert, PageHeader, UtilisationLegend } from '../components/common';
import { UtilisationHistory } from '../components/UtilisationHistory';
import { useRanges, useSites } from '../lookups';
import { Link } from '../router';
import { siteUtilisation } from './Sites';

const states: Status[] = ['available', 'coolingOff', 'reserved', 'active', 'assigned'];
const stateColor: Record<Status, string> = {
  available: '#2f9e44',
  coolingOff: '#868e96',
  reserved: '#e67700',
  active: '#1864ab',
  assigned: '#5f3dc4',
};

/** A site is running low when fewer than this share of its numbers are available. */
const LOW_SHARE = 0.1;

export function DashboardPage() {
  const session = useSession();
  const counts = useQueries({
    queries: states.map((s) => ({
      queryKey: ['numbers', 'dashboard', s],
      staleTime: 30_000,
      queryFn: async () =>
        (
          await ok(
            api.GET('/api/v1/numbers', { params: { query: { status: s, limit: 1, total: true } } }),
          )
        ).total ?? 0,
    })),
  });
  const ranges = useRanges(session.isOperator);
  const sites = useSites();
  const perSite = useMemo(() => siteUtilisation(ranges.data), [ranges.data]);
  const siteItems = (sites.data ?? [])
    .filter((s) => perSite.has(s.id))
    .map((s) => ({ id: s.id, label: s.name, u: perSite.get(s.id)! }));
  const rangeItems = [...(ranges.data ?? [])]
    .sort((a, b) => b.size - a.size)
    .slice(0, 12)
    .map((r) => ({ label: r.name, u: r.utilisation }));
  const low = siteItems
    .filter((s) => s.u.total > 0 && s.u.available / s.u.total < LOW_SHARE)
    .sort((a, b) => a.u.available / a.u.total - b.u.available / b.u.total);
  const busiest = [...siteItems].sort((a, b) => b.u.total - a.u.total)[0]?.id;
  const total = counts.reduce((a, c) => a + (c.data ?? 0), 0);
  const loaded = counts.every((c) => c.data !== undefined);
  const value = (s: Status) => counts[states.indexOf(s)]?.data ?? 0;

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={
          session.isOperator
            ? 'The inventory at a glance.'
            : `The numbers of ${session.me.customer?.name ?? 'your organisation'} at a glance.`
        }
      />
      <ErrorAlert error={counts.find((c) => c.error)?.error ?? ranges.error} />
      <SimpleGrid cols={{ base: 2, md: 4 }} mb="md">
        {[
          { label: 'Numbers', value: total },
          { label: 'Available', value: value('available') },
          { label: 'In use (active or assigned)', value: value('active') + value('assigned') },
          { label: 'Cooling off', value: value('coolingOff') },
        ].map((k) => (
          <Card withBorder key={k.label}>
            <Text size="sm" c="dimmed">
              {k.label}
            </Text>
            <Text size="xl" fw={700} data-testid={`kpi-${k.label}`}>
              {loaded ? k.value.toLocaleString('en-GB') : '…'}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Card withBorder>
          <Title order={2} size="h4" mb="sm">
            Numbers by state
          </Title>
          <BarChart
            title="Numbers by state"
            data={states.map((s) => ({
              label: statusLabel[s],
              value: value(s),
              color: stateColor[s],
            }))}
          />
          <Group gap="md" mt="xs">
            {states.map((s) => (
              <Link key={s} to={`/numbers?status=${s}`} size="sm">
                {statusLabel[s]} numbers
              </Link>
            ))}
          </Group>
        </Card>
        {session.isOperator ? (
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              Sites running low
            </Title>
            {low.length === 0 ? (
              <Text size="sm" c="dimmed">
                Every site has at least {LOW_SHARE * 100}% of its numbers available.
              </Text>
            ) : (
              <Table aria-label="Sites running low">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Site</Table.Th>
                    <Table.Th>Available</Table.Th>
                    <Table.Th>Of</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {low.map((s) => (
                    <Table.Tr key={s.id}>
                      <Table.Td>
                        <Link to={`/sites/${s.id}`}>{s.label}</Link>
                      </Table.Td>
                      <Table.Td>{s.u.available.toLocaleString('en-GB')}</Table.Td>
                      <Table.Td>{s.u.total.toLocaleString('en-GB')}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Card>
        ) : null}
        {session.isOperator ? (
          <Card withBorder>
            <Stack gap="xs">
              <Title order={2} size="h4">
                Utilisation per site
              </Title>
              <UtilisationLegend />
              <StackedBars title="Utilisation per site" items={siteItems} />
            </Stack>
          </Card>
        ) : null}
        {session.isOperator ? (
          <Card withBorder>
            <Stack gap="xs">
              <Title order={2} size="h4">
                Utilisation per range {ranges.data && ranges.data.length > 12 ? '(largest 12)' : ''}
              </Title>
              <UtilisationLegend />
              <StackedBars title="Utilisation per range" items={rangeItems} />
            </Stack>
          </Card>
        ) : null}
      </SimpleGrid>
      {sites.data ? (
        <Card withBorder mt="md">
          <UtilisationHistory
            sites={sites.data}
            ranges={session.isOperator ? (ranges.data ?? []) : []}
            preferredSiteId={busiest}
          />
        </Card>
      ) : null}
    </>
  );
}
