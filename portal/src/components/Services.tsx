/**
 * A customer's services (SPEC §5): platform, status (R-30), flow-through
 * sync, defaults — with "Add a service" (a first hosted-voice service at a
 * site allocates numbers automatically, R-40..R-44) and per-service upload.
 */
import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type ServiceDto } from '../api/client';
import { formatDateTime, plainReason, plural } from '../api/words';
import { useSession } from '../auth';
import { useSites } from '../lookups';
import { ErrorAlert } from './common';
import { Confirm } from './Confirm';
import { platformWords, serviceStatusWords as statusWords, UploadNumbers } from './UploadNumbers';

export function useServices(customerId: string) {
  return useQuery({
    queryKey: ['services', customerId],
    queryFn: () =>
      ok(api.GET('/api/v1/customers/{id}/services', { params: { path: { id: customerId } } })),
  });
}

export function ServicesCard({
  customer,
}: {
  customer: { id: string; name: string; status: string };
}) {
  const session = useSession();
  const qc = useQueryClient();
  const services = useServices(customer.id);
  const sites = useSites();
  const [adding, setAdding] = useState(false);
  const [upload, setUpload] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const write = session.isOperator && session.can('write');
  const list = services.data?.items ?? [];

  const [pending, setPending] = useState<{ s: ServiceDto; what: 'consent' | 'remove' } | null>(
    null,
  );
  // Throws when the server refuses: the confirmation dialog shows why.
  async function act(s: ServiceDto, what: 'consent' | 'remove') {
    setError(null);
    if (what === 'consent') {
      await ok(
        api.POST('/api/v1/customers/{id}/services/{serviceId}/consent', {
          params: { path: { id: customer.id, serviceId: s.id } },
          body: {},
        }),
      );
    } else {
      // Removal releases the service's numbers (R-30); refusals are listed.
      const r = await ok(
        api.POST('/api/v1/customers/{id}/services/{serviceId}/remove', {
          params: { path: { id: customer.id, serviceId: s.id } },
          body: {},
        }),
      );
      if (r.refused.length) {
        setError(
          new Error(
            `${plural(r.released, 'number')} released; ${plural(r.refused.length, 'number')} not: ` +
              r.refused
                .map((x) => `${x.e164} ${plainReason(x.code, x.message, x.rule)}`)
                .join('; '),
          ),
        );
      }
    }
    await qc.invalidateQueries({ queryKey: ['services', customer.id] });
    void qc.invalidateQueries({ queryKey: ['numbers'] });
  }

  return (
    <Card withBorder mb="md">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          Services
        </Title>
        {write && customer.status === 'active' ? (
          <Button size="xs" variant="default" onClick={() => setAdding(true)}>
            Add a service
          </Button>
        ) : null}
      </Group>
      <ErrorAlert error={services.error ?? error} />
      {list.length === 0 && services.data ? (
        <Text size="sm" c="dimmed">
          No services yet.
        </Text>
      ) : (
        <Table aria-label="Services" data-testid="services-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Service</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Sync</Table.Th>
              <Table.Th>SIP connection</Table.Th>
              <Table.Th>Quantity / site</Table.Th>
              <Table.Th>Consented</Table.Th>
              <Table.Th>Last modified</Table.Th>
              <Table.Th>
                <span style={{ position: 'absolute', left: -9999 }}>Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.map((s) => (
              <Table.Tr key={s.id} data-service={s.platform}>
                <Table.Td>
                  {platformWords[s.platform]}
                  {s.mode ? (
                    <Text span size="xs" c="dimmed">
                      {' '}
                      ({s.mode === 'integrated' ? 'integrated' : 'non-integrated'})
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <Badge
                    variant="dot"
                    color={s.status === 'ready' ? 'green' : 'yellow'}
                    c="dark.8"
                    tt="none"
                    fw={500}
                  >
                    {statusWords[s.status]}
                  </Badge>
                </Table.Td>
                <Table.Td>{s.syncEnabled ? 'On' : 'Off'}</Table.Td>
                <Table.Td>{s.sipConnection ?? '—'}</Table.Td>
                <Table.Td>
                  {s.quantity ?? '—'}
                  {s.siteId
                    ? ` at ${sites.data?.find((x) => x.id === s.siteId)?.name ?? 'a site'}`
                    : ''}
                </Table.Td>
                <Table.Td>{formatDateTime(s.consentedAt)}</Table.Td>
                <Table.Td>{formatDateTime(s.lastModifiedAt)}</Table.Td>
                <Table.Td>
                  {write ? (
                    <Group gap={4} wrap="nowrap">
                      {s.status === 'pendingProvisioning' || s.status === 'ready' ? (
                        <Button size="compact-xs" onClick={() => setUpload(s.id)}>
                          Upload numbers
                        </Button>
                      ) : null}
                      {s.status === 'pendingConsent' ? (
                        <Button
                          size="compact-xs"
                          variant="default"
                          onClick={() => setPending({ s, what: 'consent' })}
                        >
                          Record consent
                        </Button>
                      ) : null}
                      {session.can('delete') ? (
                        <Button
                          size="compact-xs"
                          variant="default"
                          c="red.9"
                          onClick={() => setPending({ s, what: 'remove' })}
                        >
                          {s.status === 'removing' ? 'Continue removal' : 'Remove'}
                        </Button>
                      ) : null}
                    </Group>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {pending ? (
        <Confirm
          title={
            pending.what === 'consent'
              ? `Record consent for ${platformWords[pending.s.platform]}`
              : `Remove ${platformWords[pending.s.platform]}`
          }
          confirmLabel={pending.what === 'consent' ? 'Record consent' : 'Remove the service'}
          danger={pending.what === 'remove'}
          onConfirm={() => act(pending.s, pending.what)}
          onClose={() => setPending(null)}
        >
          {pending.what === 'consent'
            ? `Records that ${customer.name} has given its consent; the service then waits for its numbers to be provisioned.`
            : `Releases every number of this service (they cool off before reuse) and then removes the service. Numbers that cannot be released are listed, and the service stays "removing" until they are dealt with.`}
        </Confirm>
      ) : null}
      {adding ? <AddService customerId={customer.id} onClose={() => setAdding(false)} /> : null}
      {upload ? (
        <UploadNumbers
          customer={customer}
          services={list}
          serviceId={upload}
          onClose={() => setUpload(null)}
        />
      ) : null}
    </Card>
  );
}

function AddService({ customerId, onClose }: { customerId: string; onClose: () => void }) {
  const qc = useQueryClient();
  const sites = useSites();
  const [platform, setPlatform] = useState<ServiceDto['platform']>('teamsOperatorConnect');
  const [sync, setSync] = useState(true);
  const [mode, setMode] = useState<string | null>('integrated');
  const [sipConnection, setSipConnection] = useState('');
  const [quantity, setQuantity] = useState('5');
  const [siteId, setSiteId] = useState<string | null>(null);
  const [auto, setAuto] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const hosted = platform === 'hostedVoice';
  async function save() {
    setBusy(true);
    setError(null);
    try {
      const r = await ok(
        api.POST('/api/v1/customers/{id}/services', {
          params: { path: { id: customerId } },
          body: {
            platform,
            syncEnabled: sync,
            ...(platform === 'webexCloudConnect' && mode
              ? { mode: mode as 'integrated' | 'nonIntegrated' }
              : {}),
            ...(sipConnection.trim() ? { sipConnection: sipConnection.trim() } : {}),
            ...(hosted
              ? { quantity: Number(quantity), ...(siteId ? { siteId } : {}), autoAllocate: auto }
              : {}),
          },
        }),
      );
      await qc.invalidateQueries({ queryKey: ['services', customerId] });
      void qc.invalidateQueries({ queryKey: ['numbers'] });
      const a = r.autoAllocation;
      if (a?.ran) {
        setOutcome(
          `Allocated ${plural(a.numbers?.length ?? 0, 'number')} automatically (${a.policy ?? ''})` +
            `${a.main ? `, main number ${a.main}` : ''}, ${plural(a.activated?.length ?? 0, 'number')} activated.`,
        );
      } else if (a?.reason) setOutcome(`No automatic allocation: ${a.reason}`);
      else onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal opened onClose={onClose} title="Add a service">
      {outcome ? (
        <Stack>
          <Alert color="green" variant="light" c="dark.8" title="Service added" aria-live="polite">
            {outcome}
          </Alert>
          <Group justify="flex-end">
            <Button onClick={onClose}>Close</Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          <Select
            label="Platform"
            data={Object.entries(platformWords).map(([value, label]) => ({ value, label }))}
            value={platform}
            onChange={(v) => v && setPlatform(v as ServiceDto['platform'])}
            allowDeselect={false}
          />
          {platform === 'webexCloudConnect' ? (
            <Select
              label="Mode"
              data={[
                { value: 'integrated', label: 'Integrated (numbers pushed to the Webex location)' },
                { value: 'nonIntegrated', label: 'Non-integrated (the customer adds numbers)' },
              ]}
              value={mode}
              onChange={setMode}
              allowDeselect={false}
            />
          ) : null}
          {!hosted ? (
            <Checkbox
              label="Sync with the platform (flow-through provisioning)"
              checked={sync}
              onChange={(e) => setSync(e.currentTarget.checked)}
            />
          ) : null}
          <TextInput
            label="Default SIP connection (optional)"
            value={sipConnection}
            onChange={(e) => setSipConnection(e.currentTarget.value)}
          />
          {hosted ? (
            <>
              <Group grow>
                <TextInput
                  label="Quantity (seats)"
                  inputMode="numeric"
                  value={quantity}
                  onChange={(e) => setQuantity(e.currentTarget.value)}
                />
                <Select
                  label="Site"
                  searchable
                  data={(sites.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
                  value={siteId}
                  onChange={setSiteId}
                />
              </Group>
              <Checkbox
                label="Allocate and activate numbers automatically (first service at the site)"
                checked={auto}
                onChange={(e) => setAuto(e.currentTarget.checked)}
              />
            </>
          ) : null}
          <ErrorAlert error={error} title="The service was not added" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button onClick={() => void save()} loading={busy}>
              Add service
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
