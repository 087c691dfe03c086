/** One number: its fields, the actions it can take now, and its history timeline. */
import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Timeline,
  Title,
} from '@mantine/core';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, ok, type ActionName, type NumberDto } from '../api/client';
import {
  actionApplies,
  actionInfo,
  actionOrder,
  formatDate,
  formatDateTime,
  statusLabel,
} from '../api/words';
import { useSession } from '../auth';
import { ActionDialog } from '../components/ActionDialog';
import { Confirm } from '../components/Confirm';
import { actionWords, Changes } from '../components/changes';
import { ErrorAlert, PageHeader, StatusBadge } from '../components/common';
import { LockIcon } from '../components/icons';
import { byId, useCustomers, useRanges, useSites } from '../lookups';
import { Link } from '../router';

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">
        {label}
      </Text>
      <Text size="sm" component="div">
        {children || '—'}
      </Text>
    </div>
  );
}

export function NumberPage({ e164 }: { e164: string }) {
  const session = useSession();
  const [action, setAction] = useState<ActionName | null>(null);
  const [editing, setEditing] = useState(false);
  const customers = useCustomers();
  const sites = useSites();
  const ranges = useRanges(session.isOperator);
  const customerMap = useMemo(() => byId(customers.data), [customers.data]);
  const siteMap = useMemo(() => byId(sites.data), [sites.data]);
  const rangeMap = useMemo(() => byId(ranges.data), [ranges.data]);

  const number = useQuery({
    queryKey: ['number', e164],
    queryFn: () => ok(api.GET('/api/v1/numbers/{e164}', { params: { path: { e164 } } })),
  });
  const history = useInfiniteQuery({
    queryKey: ['number', e164, 'history'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      ok(
        api.GET('/api/v1/numbers/{e164}/history', {
          params: { path: { e164 }, query: { limit: 50, cursor: pageParam } },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  if (number.error) {
    return (
      <>
        <PageHeader title={e164} />
        {number.error instanceof ApiError && number.error.status === 404 ? (
          <Alert color="yellow" variant="light" c="dark.8" title="Not found">
            {e164} is not in the inventory, or not yours to see.{' '}
            <Link to="/numbers">Back to numbers</Link>
          </Alert>
        ) : (
          <ErrorAlert error={number.error} />
        )}
      </>
    );
  }
  const n = number.data;
  const allowed = actionOrder.filter((a) => session.isOperator || !actionInfo[a].operatorOnly);
  const holder = !n?.holder
    ? 'Not allocated'
    : n.holder.type === 'operator'
      ? 'Operator'
      : (customerMap.get(n.holder.customerId)?.name ?? n.holder.customerId);
  const events = history.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader
        title={e164}
        description={<Link to="/numbers">All numbers</Link>}
        actions={
          n && session.can('write') ? (
            <Button variant="default" onClick={() => setEditing(true)}>
              Edit details
            </Button>
          ) : null
        }
      />
      {n ? (
        <Stack>
          <Card withBorder>
            <Group gap="sm" mb="sm">
              <StatusBadge status={n.status} />
              {n.mainNumber ? (
                <Badge variant="outline" color="dark" tt="none">
                  Main number
                </Badge>
              ) : null}
              {n.locked ? (
                <Badge variant="outline" color="red" c="red.9" tt="none" leftSection={<LockIcon />}>
                  Locked: {n.lockReason}
                </Badge>
              ) : null}
              {n.pendingOperation ? (
                <Badge variant="outline" color="blue" c="blue.9" tt="none">
                  Change in progress: {n.pendingOperation.action}
                </Badge>
              ) : null}
            </Group>
            <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
              <Field label="Holder">{holder}</Field>
              <Field label="Site">
                {n.siteId ? (
                  <Link to={`/sites/${n.siteId}`}>{siteMap.get(n.siteId)?.name ?? n.siteId}</Link>
                ) : null}
              </Field>
              <Field label="Range">
                {n.rangeId ? (rangeMap.get(n.rangeId)?.name ?? '') : null}
              </Field>
              <Field label="Country / kind">
                {n.country} · {n.kind}
              </Field>
              <Field label="Extension">{n.extension}</Field>
              <Field label="Usage">{n.usage}</Field>
              <Field label="Assignment">
                {n.assignment
                  ? `${n.assignment.type}: ${n.assignment.targetName ?? n.assignment.targetId}`
                  : null}
              </Field>
              <Field label="Capabilities">{n.capabilities.join(', ')}</Field>
              <Field label="Cooling off until">{formatDate(n.coolingOffUntil)}</Field>
              <Field label="Emergency address">
                <EmergencyAddress n={n} />
              </Field>
              <Field label="SIP connection">{n.sipConnection}</Field>
              <Field label="Custom SIP header">{n.customSipHeader}</Field>
              <Field label="Source">{n.source}</Field>
              <Field label="Acquired">{formatDateTime(n.acquiredAt)}</Field>
              <Field label="Service info">{n.serviceInfo}</Field>
              <Field label="Last change">{formatDateTime(n.updatedAt)}</Field>
            </SimpleGrid>
          </Card>
          {n.sync ? <SyncCard n={n} /> : null}
          {session.can('write') ? (
            <Card withBorder>
              <Title order={2} size="h4" mb="xs">
                Actions
              </Title>
              <Group gap="xs">
                {allowed.map((a) => (
                  <Button
                    key={a}
                    size="compact-sm"
                    variant="light"
                    c={actionApplies(a, n) ? 'indigo.9' : undefined}
                    disabled={!actionApplies(a, n)}
                    onClick={() => setAction(a)}
                  >
                    {actionInfo[a].label}
                  </Button>
                ))}
              </Group>
              <Text size="xs" c="dimmed" mt="xs">
                Greyed-out actions do not apply to a number that is{' '}
                {statusLabel[n.status].toLowerCase()}
                {n.locked ? ' and locked' : ''}.
              </Text>
            </Card>
          ) : null}
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              History
            </Title>
            <ErrorAlert error={history.error} />
            {events.length === 0 && !history.isPending ? (
              <Text size="sm" c="dimmed">
                No recorded changes.
              </Text>
            ) : null}
            <Timeline bulletSize={14} lineWidth={2} active={-1} data-testid="history">
              {events.map((ev) => (
                <Timeline.Item
                  key={ev.id}
                  title={
                    <Group gap="xs">
                      <Text fw={600} size="sm">
                        {ev.object.type === 'range' ? 'Created with range' : actionWords(ev.action)}
                      </Text>
                      <Badge size="xs" variant="outline" color="dark" tt="none">
                        {ev.source}
                      </Badge>
                    </Group>
                  }
                >
                  <Text size="xs" c="dimmed">
                    {formatDateTime(ev.at)} by {ev.principal.name}
                    {ev.ticketId ? ` · ticket ${ev.ticketId}` : ''}
                  </Text>
                  <Changes changes={ev.changes} customers={customerMap} />
                </Timeline.Item>
              ))}
            </Timeline>
            {history.hasNextPage ? (
              <Button
                mt="sm"
                variant="default"
                size="xs"
                loading={history.isFetchingNextPage}
                onClick={() => void history.fetchNextPage()}
              >
                Older changes
              </Button>
            ) : null}
          </Card>
        </Stack>
      ) : null}
      {action && n ? (
        <ActionDialog action={action} numbers={[n.e164]} onClose={() => setAction(null)} />
      ) : null}
      {editing && n ? <EditNumber n={n} onClose={() => setEditing(false)} /> : null}
    </>
  );
}

/** The civic address and location by name (SPEC §6), not by id. */
function EmergencyAddress({ n }: { n: NumberDto }) {
  const id = n.emergency.civicAddressId;
  const address = useQuery({
    queryKey: ['civic-addresses', 'one', id],
    enabled: !!id,
    queryFn: () => ok(api.GET('/api/v1/civic-addresses/{id}', { params: { path: { id: id! } } })),
  });
  const may = n.emergency.customerMayUpdate ? ' (customer may update)' : '';
  if (!id) return <>{`None${may}`}</>;
  const a = address.data;
  if (!a) return <>{`…${may}`}</>;
  const where = [a.description ?? a.companyName, a.street, a.city, a.postalCode]
    .filter(Boolean)
    .join(', ');
  const loc = a.locations.find((l) => l.id === n.emergency.locationId);
  return (
    <>
      {where}
      {loc ? ` · ${loc.description ?? 'location'}${loc.elin ? ` (ELIN ${loc.elin})` : ''}` : ''}
      {may}
    </>
  );
}

/** Attributes by PATCH with If-Match: a change made meanwhile by someone else is not overwritten. */
function EditNumber({ n, onClose }: { n: NumberDto; onClose: () => void }) {
  const session = useSession();
  const qc = useQueryClient();
  const operator = session.isOperator;
  const [extension, setExtension] = useState(n.extension ?? '');
  const [usage, setUsage] = useState<string | null>(n.usage);
  const [serviceInfo, setServiceInfo] = useState(n.serviceInfo ?? '');
  const [civic, setCivic] = useState<string | null>(n.emergency.civicAddressId);
  const [location, setLocation] = useState<string | null>(n.emergency.locationId);
  const [mayUpdate, setMayUpdate] = useState(n.emergency.customerMayUpdate);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const emergencyEditable = operator || n.emergency.customerMayUpdate;
  // The holder's own addresses (SPEC §6); the operator's for its own numbers.
  const holderCustomer = n.holder?.type === 'customer' ? n.holder.customerId : undefined;
  const addresses = useQuery({
    queryKey: ['civic-addresses', holderCustomer ?? 'operator'],
    enabled: emergencyEditable,
    queryFn: () =>
      ok(
        api.GET('/api/v1/civic-addresses', {
          params: {
            query: holderCustomer
              ? { customerId: holderCustomer, limit: 1000 }
              : { operator: true, limit: 1000 },
          },
        }),
      ),
  });
  const chosen = addresses.data?.items.find((a) => a.id === civic);

  async function save() {
    setBusy(true);
    setError(null);
    try {
      const emergency = {
        civicAddressId: civic,
        locationId: civic ? location : null,
        ...(operator ? { customerMayUpdate: mayUpdate } : {}),
      };
      const body = operator
        ? {
            extension: extension.trim() || null,
            usage: (usage as NumberDto['usage']) ?? null,
            serviceInfo: serviceInfo.trim() || null,
            emergency,
          }
        : { emergency };
      await ok(
        api.PATCH('/api/v1/numbers/{e164}', {
          params: { path: { e164: n.e164 }, header: { 'if-match': n.etag } },
          body,
        }),
      );
      await qc.invalidateQueries({ queryKey: ['number', n.e164] });
      void qc.invalidateQueries({ queryKey: ['numbers'] });
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened onClose={onClose} title={`Edit ${n.e164}`}>
      <Stack>
        {operator ? (
          <>
            <TextInput
              label="Extension"
              value={extension}
              onChange={(e) => setExtension(e.currentTarget.value)}
              maxLength={20}
            />
            <Select
              label="Usage"
              clearable
              data={[
                { value: 'user', label: 'User' },
                { value: 'application', label: 'Application (IVR, hunt group)' },
                { value: 'conference', label: 'Conference' },
                { value: 'contactCenter', label: 'Contact centre' },
              ]}
              value={usage}
              onChange={setUsage}
            />
            <TextInput
              label="Service info"
              value={serviceInfo}
              onChange={(e) => setServiceInfo(e.currentTarget.value)}
              maxLength={255}
            />
          </>
        ) : null}
        {emergencyEditable ? (
          <>
            <Select
              label="Emergency civic address"
              placeholder={addresses.data?.items.length === 0 ? 'No address on file' : 'None'}
              clearable
              searchable
              data={(addresses.data?.items ?? []).map((a) => ({
                value: a.id,
                label: [a.description ?? a.companyName, a.street, a.city, a.postalCode]
                  .filter(Boolean)
                  .join(', '),
              }))}
              value={civic}
              onChange={(v) => {
                setCivic(v);
                const a = addresses.data?.items.find((x) => x.id === v);
                setLocation(a?.locations.find((l) => l.isDefault)?.id ?? null);
              }}
            />
            <Select
              label="Location"
              placeholder={civic ? 'Choose a location' : 'Choose an address first'}
              disabled={!chosen}
              clearable
              data={(chosen?.locations ?? []).map((l) => ({
                value: l.id,
                label: `${l.description ?? 'Location'}${l.elin ? ` (ELIN ${l.elin})` : ''}${l.isDefault ? ' · default' : ''}`,
              }))}
              value={location}
              onChange={setLocation}
            />
            {operator ? (
              <Checkbox
                label="The customer may update the emergency location (R-38)"
                checked={mayUpdate}
                onChange={(e) => setMayUpdate(e.currentTarget.checked)}
              />
            ) : null}
          </>
        ) : (
          <Alert color="gray" variant="light" c="dark.8">
            The operator has not allowed changes to this number&apos;s emergency location (R-38).
          </Alert>
        )}
        {error ? (
          <ErrorAlert
            error={error}
            title={
              error instanceof ApiError && error.status === 412
                ? 'Someone changed this number meanwhile; close and look again'
                : 'Not saved'
            }
          />
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => void save()}
            loading={busy}
            disabled={!emergencyEditable && !operator}
          >
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

const syncStateWords: Record<NonNullable<NumberDto['sync']>['state'], string> = {
  pendingFirstSync: 'Waiting for its first push',
  active: 'In step with the platform',
  releaseRequested: 'Release sent to the platform',
  markedForRemoval: 'Marked for removal (the tenant deleted it)',
  readyForRemoval: 'Ready for removal',
  failed: 'Push failed',
};

/** SPEC §3.3: the number's state on its platform, with approve-removal and push-again. */
function SyncCard({ n }: { n: NumberDto }) {
  const session = useSession();
  const qc = useQueryClient();
  const [doing, setDoing] = useState<'approve-removal' | 'reactivate' | null>(null);
  const sync = n.sync!;
  const operatorWrite = session.isOperator && session.can('write');
  async function run(what: 'approve-removal' | 'reactivate') {
    const path = { e164: n.e164 };
    await ok(
      what === 'approve-removal'
        ? api.POST('/api/v1/numbers/{e164}/sync/approve-removal', { params: { path }, body: {} })
        : api.POST('/api/v1/numbers/{e164}/sync/reactivate', { params: { path }, body: {} }),
    );
    await qc.invalidateQueries({ queryKey: ['number', n.e164] });
    void qc.invalidateQueries({ queryKey: ['numbers'] });
  }
  return (
    <Card withBorder data-testid="sync-card">
      <Title order={2} size="h4" mb="xs">
        Platform sync
      </Title>
      <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
        <Field label="Sync state">{syncStateWords[sync.state]}</Field>
        <Field label="Last synced">{formatDateTime(sync.lastSyncedAt)}</Field>
        <Field label="Upstream job">{sync.upstreamJobId}</Field>
      </SimpleGrid>
      {sync.errors.length ? (
        <Alert
          color="red"
          variant="light"
          c="dark.8"
          mt="sm"
          title="The platform refused the last push"
        >
          {sync.errors.map((e) => `${e.message}${e.target ? ` (${e.target})` : ''}`).join('; ')}
        </Alert>
      ) : null}
      {operatorWrite && (sync.state === 'markedForRemoval' || sync.state === 'failed') ? (
        <Group gap="xs" mt="sm">
          {sync.state === 'markedForRemoval' ? (
            <Button size="compact-sm" color="red" onClick={() => setDoing('approve-removal')}>
              Approve removal
            </Button>
          ) : null}
          <Button size="compact-sm" variant="default" onClick={() => setDoing('reactivate')}>
            Push again
          </Button>
        </Group>
      ) : null}
      {doing ? (
        <Confirm
          title={
            doing === 'approve-removal'
              ? `Approve the removal of ${n.e164}`
              : `Push ${n.e164} again`
          }
          confirmLabel={doing === 'approve-removal' ? 'Approve removal' : 'Push again'}
          danger={doing === 'approve-removal'}
          onConfirm={() => run(doing)}
          onClose={() => setDoing(null)}
        >
          {doing === 'approve-removal'
            ? 'The tenant already removed it on the platform. Numbat releases it too: it is unassigned if needed and cools off before reuse.'
            : 'Sends the number to its platform again; it becomes active once the platform confirms.'}
        </Confirm>
      ) : null}
    </Card>
  );
}
