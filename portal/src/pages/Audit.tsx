/** The audit log (SPEC §11): every change, newest first, filterable. */
import { Badge, Button, Group, Select, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, ok } from '../api/client';
import { formatDateTime } from '../api/words';
import { actionWords, Changes } from '../components/changes';
import { ErrorAlert, PageHeader } from '../components/common';
import { numberHref } from '../components/NumbersTable';
import { byId, useCustomers } from '../lookups';
import { Link } from '../router';

export function AuditPage() {
  const [objectType, setObjectType] = useState<string | null>(null);
  const [objectId, setObjectId] = useState('');
  const [action, setAction] = useState('');
  const [debouncedId] = useDebouncedValue(objectId.trim(), 300);
  const [debouncedAction] = useDebouncedValue(action.trim(), 300);
  const customers = useCustomers();
  const customerMap = useMemo(() => byId(customers.data), [customers.data]);
  const query = {
    ...(objectType ? { objectType } : {}),
    ...(debouncedId ? { objectId: debouncedId } : {}),
    ...(debouncedAction ? { action: debouncedAction } : {}),
  };
  const events = useInfiniteQuery({
    queryKey: ['audit', query],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      ok(
        api.GET('/api/v1/audit-events', {
          params: { query: { ...query, limit: 50, cursor: pageParam } },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change: who, when, through what, and what it changed."
      />
      <Group gap="sm" mb="sm" align="flex-end">
        <Select
          label="Object"
          placeholder="Any"
          clearable
          data={[
            'number',
            'range',
            'site',
            'customer',
            'service',
            'consent',
            'civicAddress',
            'job',
            'token',
            'user',
            'settings',
          ]}
          value={objectType}
          onChange={setObjectType}
          w={160}
        />
        <TextInput
          label="Object id or number"
          value={objectId}
          onChange={(e) => setObjectId(e.currentTarget.value)}
          w={240}
        />
        <TextInput
          label="Action"
          placeholder="e.g. number.release"
          value={action}
          onChange={(e) => setAction(e.currentTarget.value)}
          w={200}
        />
      </Group>
      <ErrorAlert error={events.error} />
      <Table.ScrollContainer minWidth={900}>
        <Table aria-label="Audit events" striped data-testid="audit-table" verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Who</Table.Th>
              <Table.Th>Through</Table.Th>
              <Table.Th>Action</Table.Th>
              <Table.Th>Object</Table.Th>
              <Table.Th>Changes</Table.Th>
              <Table.Th>Ticket</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((ev) => (
              <Table.Tr key={ev.id} data-action={ev.action}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(ev.at)}</Table.Td>
                <Table.Td>{ev.principal.name}</Table.Td>
                <Table.Td>
                  <Badge size="sm" variant="outline" color="dark" tt="none">
                    {ev.source}
                  </Badge>
                </Table.Td>
                <Table.Td>{actionWords(ev.action)}</Table.Td>
                <Table.Td className="mono">
                  {ev.object.type === 'number' ? (
                    <Link to={numberHref(ev.object.id)}>{ev.object.id}</Link>
                  ) : (
                    `${ev.object.type} ${ev.object.id.slice(0, 8)}`
                  )}
                </Table.Td>
                <Table.Td>
                  <Changes changes={ev.changes} customers={customerMap} />
                </Table.Td>
                <Table.Td>{ev.ticketId ?? ''}</Table.Td>
              </Table.Tr>
            ))}
            {events.data && items.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={7}>
                  <Text c="dimmed" ta="center" py="md">
                    No events match.
                  </Text>
                </Table.Td>
              </Table.Tr>
            ) : null}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {events.hasNextPage ? (
        <Button
          mt="sm"
          variant="default"
          loading={events.isFetchingNextPage}
          onClick={() => void events.fetchNextPage()}
        >
          Older events
        </Button>
      ) : null}
    </>
  );
}
