/**
 * Sync differences (SPEC §3.3, §8): what a refresh found between Numbat and
 * the platforms, to review and apply. Nothing changes until the operator
 * applies a difference; each is reported as applied or refused, in plain words.
 */
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, ok, type ApplyAnswer, type SyncDifferenceDto } from '../api/client';
import { formatDateTime, plainReason, plural } from '../api/words';
import { useSession } from '../auth';
import { ErrorAlert, PageHeader } from '../components/common';
import { Confirm } from '../components/Confirm';
import { numberHref } from '../components/NumbersTable';
import { byId, useCustomers } from '../lookups';
import { Link } from '../router';

type Kind = SyncDifferenceDto['kind'];
type DiffStatus = SyncDifferenceDto['status'];

export const kindWords: Record<Kind, string> = {
  missingUpstream: 'Missing on the platform',
  missingHere: 'Only on the platform',
  fieldDrift: 'Fields differ',
  assignment: 'Assignment differs',
  tenantDeleted: 'Tenant deleted it',
};

/** What applying does, per kind. */
const kindEffect: Record<Kind, string> = {
  missingUpstream: 'pushes the number to the platform again',
  missingHere: 'adopts the number into Numbat (active, on the service)',
  fieldDrift: "pushes Numbat's values to the platform",
  assignment: "takes over the platform's assignment",
  tenantDeleted: 'marks the number for removal (it is released only when you approve it)',
};

const outcomeWords: Record<string, string> = {
  adopted: 'adopted into Numbat',
  'already here': 'already in Numbat',
  pushQueued: 'push to the platform queued',
  markedForRemoval: 'marked for removal',
  assigned: 'assigned as on the platform',
  unassigned: 'unassigned as on the platform',
  unchanged: 'nothing to change',
};

const statusWords: Record<DiffStatus, string> = {
  open: 'Open',
  applied: 'Applied',
  superseded: 'Superseded',
};

/** A detail value in words: text as it is, anything else as JSON. */
const show = (v: unknown): string =>
  v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);

function describe(d: SyncDifferenceDto): string {
  const entries = Object.entries(d.details);
  if (entries.length === 0) return kindEffect[d.kind];
  return entries
    .map(([field, v]) => {
      if (v && typeof v === 'object' && 'numbat' in v && 'platform' in v) {
        return `${field}: ${show(v.numbat)} here, ${show(v.platform)} on the platform`;
      }
      return `${field}: ${show(v)}`;
    })
    .join('; ');
}

export function SyncPage() {
  const session = useSession();
  const qc = useQueryClient();
  const customers = useCustomers();
  const names = useMemo(() => byId(customers.data), [customers.data]);
  const [status, setStatus] = useState<DiffStatus | 'all'>('open');
  const [kind, setKind] = useState<Kind | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [applying, setApplying] = useState(false);
  const [refreshing, setRefreshing] = useState(false);
  const [queued, setQueued] = useState<string | null>(null);
  const write = session.isOperator && session.can('write');
  const list = useQuery({
    queryKey: ['sync-differences', status, kind],
    queryFn: () =>
      ok(
        api.GET('/api/v1/sync/differences', {
          params: {
            query: {
              limit: 500,
              ...(status !== 'all' ? { status } : {}),
              ...(kind ? { kind } : {}),
            },
          },
        }),
      ),
  });
  const items = list.data?.items ?? [];
  // A customer added since the names were loaded: load them again, once.
  const refetched = useRef(false);
  const missingName = items.some((d) => customers.data && !names.has(d.customerId));
  useEffect(() => {
    if (missingName && !refetched.current) {
      refetched.current = true;
      void customers.refetch();
    }
  }, [missingName, customers]);
  const openIds = items.filter((d) => d.status === 'open').map((d) => d.id);
  const allChecked = openIds.length > 0 && openIds.every((id) => selected.has(id));
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <>
      <PageHeader
        title="Sync differences"
        description="Found by refreshes of the platforms. Nothing changes until you apply a difference."
        actions={
          write ? (
            <>
              <Button variant="default" onClick={() => setRefreshing(true)}>
                Refresh from the platforms
              </Button>
              <Button disabled={selected.size === 0} onClick={() => setApplying(true)}>
                Apply {plural(selected.size, 'difference')}
              </Button>
            </>
          ) : null
        }
      />
      {queued ? (
        <Alert color="blue" variant="light" c="dark.8" mb="sm" role="status">
          The refresh runs as a job; its differences appear here when it has finished.{' '}
          <Link to="/jobs">Follow it on the jobs page</Link>.
        </Alert>
      ) : null}
      <Group gap="sm" mb="sm" align="flex-end">
        <SegmentedControl
          aria-label="Difference status"
          data={[
            { value: 'open', label: 'Open' },
            { value: 'applied', label: 'Applied' },
            { value: 'superseded', label: 'Superseded' },
            { value: 'all', label: 'All' },
          ]}
          value={status}
          onChange={(v) => {
            setStatus(v);
            setSelected(new Set());
          }}
        />
        <Select
          label="Kind"
          placeholder="Any"
          clearable
          data={Object.entries(kindWords).map(([value, label]) => ({ value, label }))}
          value={kind}
          onChange={(v) => {
            setKind(v as Kind | null);
            setSelected(new Set());
          }}
          w={240}
        />
      </Group>
      <ErrorAlert error={list.error} />
      <Table aria-label="Sync differences" data-testid="sync-table" verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            {write ? (
              <Table.Th w={40}>
                <Checkbox
                  aria-label="Select every open difference"
                  checked={allChecked}
                  disabled={openIds.length === 0}
                  onChange={(e) =>
                    setSelected(e.currentTarget.checked ? new Set(openIds) : new Set())
                  }
                />
              </Table.Th>
            ) : null}
            <Table.Th>Number</Table.Th>
            <Table.Th>Difference</Table.Th>
            <Table.Th>Details</Table.Th>
            <Table.Th>Customer</Table.Th>
            <Table.Th>Found</Table.Th>
            <Table.Th>Status</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((d) => (
            <Table.Tr key={d.id} data-difference={d.e164} data-status={d.status}>
              {write ? (
                <Table.Td>
                  {d.status === 'open' ? (
                    <Checkbox
                      aria-label={`Select the difference for ${d.e164}`}
                      checked={selected.has(d.id)}
                      onChange={(e) => toggle(d.id, e.currentTarget.checked)}
                    />
                  ) : null}
                </Table.Td>
              ) : null}
              <Table.Td className="mono">
                <Link to={numberHref(d.e164)}>{d.e164}</Link>
              </Table.Td>
              <Table.Td>{kindWords[d.kind]}</Table.Td>
              <Table.Td>
                <Text size="sm">{describe(d)}</Text>
              </Table.Td>
              <Table.Td>{names.get(d.customerId)?.name ?? ''}</Table.Td>
              <Table.Td>{formatDateTime(d.createdAt)}</Table.Td>
              <Table.Td>
                <Badge
                  variant="dot"
                  color={d.status === 'open' ? 'yellow' : d.status === 'applied' ? 'green' : 'gray'}
                  c="dark.8"
                  tt="none"
                  fw={500}
                >
                  {statusWords[d.status]}
                </Badge>
              </Table.Td>
            </Table.Tr>
          ))}
          {list.data && items.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={write ? 7 : 6}>
                <Text c="dimmed" ta="center" py="md">
                  No differences.
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : null}
        </Table.Tbody>
      </Table>
      {applying ? (
        <ApplyDialog
          differences={items.filter((d) => selected.has(d.id))}
          onClose={() => {
            setApplying(false);
            setSelected(new Set());
            void qc.invalidateQueries({ queryKey: ['sync-differences'] });
            void qc.invalidateQueries({ queryKey: ['numbers'] });
          }}
        />
      ) : null}
      {refreshing ? (
        <Confirm
          title="Refresh from the platforms"
          confirmLabel="Start the refresh"
          onConfirm={async () => {
            const job = await ok(api.POST('/api/v1/sync/refresh', { body: {} }));
            setQueued(job.id);
            void qc.invalidateQueries({ queryKey: ['jobs'] });
          }}
          onClose={() => setRefreshing(false)}
        >
          Reads every synced service&apos;s numbers from its platform (a job) and lists what differs
          here. Numbat itself does not change.
        </Confirm>
      ) : null}
    </>
  );
}

function ApplyDialog({
  differences,
  onClose,
}: {
  differences: SyncDifferenceDto[];
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [answer, setAnswer] = useState<ApplyAnswer | null>(null);
  const byIdMap = new Map(differences.map((d) => [d.id, d]));
  async function run() {
    setBusy(true);
    setError(null);
    try {
      setAnswer(
        await ok(
          api.POST('/api/v1/sync/differences/apply', {
            body: { ids: differences.map((d) => d.id) },
          }),
        ),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal
      opened
      onClose={onClose}
      title={`Apply ${plural(differences.length, 'difference')}`}
      size="lg"
    >
      {answer ? (
        <Stack>
          <Alert
            color={answer.summary.failed ? 'yellow' : 'green'}
            variant="light"
            c="dark.8"
            title={
              answer.summary.failed ? (answer.summary.ok ? 'Partly done' : 'Not done') : 'Done'
            }
            aria-live="polite"
          >
            {plural(answer.summary.ok, 'difference')} applied
            {answer.summary.failed
              ? `, ${plural(answer.summary.failed, 'difference')} refused`
              : ''}
            .
          </Alert>
          <Table aria-label="Results">
            <Table.Tbody>
              {answer.results.map((r) => {
                const d = byIdMap.get(r.id);
                return (
                  <Table.Tr key={r.id} data-result={d?.e164 ?? r.e164} data-ok={String(r.ok)}>
                    <Table.Td className="mono">{d?.e164 ?? r.e164}</Table.Td>
                    <Table.Td>
                      {r.ok
                        ? (outcomeWords[r.outcome ?? ''] ?? r.outcome ?? 'applied')
                        : // The server's own words say what to do; the number is in the first column.
                          (r.message?.replace(`${d?.e164 ?? r.e164 ?? ''} `, '') ??
                          plainReason(r.code, r.message))}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
          <Group justify="flex-end">
            <Button onClick={onClose}>Close</Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          <Text size="sm">Applying changes Numbat or queues a push, per difference:</Text>
          <Stack gap={4}>
            {differences.map((d) => (
              <Text size="sm" key={d.id}>
                <span className="mono">{d.e164}</span> — {kindWords[d.kind]}: {kindEffect[d.kind]}
              </Text>
            ))}
          </Stack>
          <ErrorAlert error={error} title="Nothing was applied" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button loading={busy} onClick={() => void run()}>
              Apply {plural(differences.length, 'difference')}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
