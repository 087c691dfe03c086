/**
 * Requests for Information (SPEC §5 consents, seed: Number Management Portal):
 * Teams tenants asking this operator for service. Update the relationship
 * status (a reason for declined / terminated, R-34; a ticket id, R-36), and
 * once an agreement is signed create the customer and its services in one step.
 */
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type ConsentDto } from '../api/client';
import { formatDateTime } from '../api/words';
import { useSession } from '../auth';
import { ErrorAlert, PageHeader } from '../components/common';
import { useCustomers } from '../lookups';
import { Link } from '../router';

type Relationship = ConsentDto['relationship']['status'];

export const relationshipWords: Record<Relationship, string> = {
  consentAcknowledged: 'Consent acknowledged',
  customerContacted: 'Customer contacted',
  agreementSigned: 'Agreement signed',
  consentDeclined: 'Consent declined',
  contractTerminated: 'Contract terminated',
};
const relationshipColor: Record<Relationship, string> = {
  consentAcknowledged: 'blue',
  customerContacted: 'yellow',
  agreementSigned: 'green',
  consentDeclined: 'red',
  contractTerminated: 'gray',
};
/** The moves the server allows (src/domain/platform.ts), offered in the dialog. */
const moves: Record<Relationship, Relationship[]> = {
  consentAcknowledged: ['customerContacted', 'agreementSigned', 'consentDeclined'],
  customerContacted: ['agreementSigned', 'consentDeclined'],
  agreementSigned: ['contractTerminated'],
  consentDeclined: ['consentAcknowledged', 'customerContacted', 'agreementSigned'],
  contractTerminated: ['agreementSigned'],
};
const platforms = [
  { value: 'teamsOperatorConnect', label: 'Teams Operator Connect' },
  { value: 'teamsPhoneMobile', label: 'Teams Phone Mobile' },
  { value: 'webexCloudConnect', label: 'Webex Cloud Connect' },
] as const;

function companyOf(c: ConsentDto) {
  return c.contacts.find((x) => x.companyName)?.companyName ?? c.contacts[0]?.fullName ?? '—';
}

export function ConsentsPage() {
  const session = useSession();
  const customers = useCustomers();
  const [status, setStatus] = useState<string | null>(null);
  const consents = useQuery({
    queryKey: ['consents', status],
    queryFn: () =>
      ok(
        api.GET('/api/v1/consents', {
          params: {
            query: {
              limit: 1000,
              ...(status ? { relationshipStatus: status as Relationship } : {}),
            },
          },
        }),
      ),
  });
  const [changing, setChanging] = useState<ConsentDto | null>(null);
  const [creating, setCreating] = useState<ConsentDto | null>(null);
  const names = new Map((customers.data ?? []).map((c) => [c.id, c.name]));
  const write = session.can('write') && session.isOperator;

  return (
    <>
      <PageHeader
        title="Requests for information"
        description="Teams tenants that asked for this operator's service. Move each relationship forward, then create the customer's account."
      />
      <Select
        label="Relationship status"
        placeholder="Any"
        clearable
        data={Object.entries(relationshipWords).map(([value, label]) => ({ value, label }))}
        value={status}
        onChange={setStatus}
        w={240}
        mb="sm"
      />
      <ErrorAlert error={consents.error} />
      <Table.ScrollContainer minWidth={1000}>
        <Table
          aria-label="Requests for information"
          data-testid="consents-table"
          verticalSpacing="xs"
        >
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Company</Table.Th>
              <Table.Th>Tenant id</Table.Th>
              <Table.Th>Contact</Table.Th>
              <Table.Th>Countries</Table.Th>
              <Table.Th>Consent</Table.Th>
              <Table.Th>Relationship</Table.Th>
              <Table.Th>Account</Table.Th>
              <Table.Th>
                <span style={{ position: 'absolute', left: -9999 }}>Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(consents.data?.items ?? []).map((c) => (
              <Table.Tr key={c.tenantId} data-tenant={c.tenantId}>
                <Table.Td>{companyOf(c)}</Table.Td>
                <Table.Td className="mono">{c.tenantId}</Table.Td>
                <Table.Td>
                  {c.contacts[0] ? (
                    <>
                      <Text size="sm">{c.contacts[0].fullName}</Text>
                      <Text size="xs" c="dimmed">
                        {c.contacts[0].email}
                      </Text>
                    </>
                  ) : (
                    '—'
                  )}
                </Table.Td>
                <Table.Td>{c.consentedCountries.join(', ')}</Table.Td>
                <Table.Td>
                  <Text size="sm">{c.status}</Text>
                  <Text size="xs" c="dimmed">
                    {formatDateTime(c.consentedAt)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge
                    variant="dot"
                    color={relationshipColor[c.relationship.status]}
                    c="dark.8"
                    tt="none"
                    fw={500}
                  >
                    {relationshipWords[c.relationship.status]}
                  </Badge>
                  {c.relationship.reason ? (
                    <Text size="xs" c="dimmed">
                      {c.relationship.reason}
                    </Text>
                  ) : null}
                  {c.relationship.ticketId ? (
                    <Text size="xs" c="dimmed">
                      ticket {c.relationship.ticketId}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  {c.customerId ? (
                    <Link to={`/customers/${c.customerId}`}>
                      {names.get(c.customerId) ?? 'Customer'}
                    </Link>
                  ) : (
                    '—'
                  )}
                </Table.Td>
                <Table.Td>
                  {write ? (
                    <Group gap={4} wrap="nowrap">
                      <Button size="compact-xs" variant="default" onClick={() => setChanging(c)}>
                        Update relationship status
                      </Button>
                      {!c.customerId && c.relationship.status === 'agreementSigned' ? (
                        <Button size="compact-xs" onClick={() => setCreating(c)}>
                          Create account
                        </Button>
                      ) : null}
                    </Group>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
            {consents.data?.items.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={8}>
                  <Text c="dimmed" ta="center" py="md">
                    No requests.
                  </Text>
                </Table.Td>
              </Table.Tr>
            ) : null}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {changing ? (
        <ChangeRelationship consent={changing} onClose={() => setChanging(null)} />
      ) : null}
      {creating ? <CreateAccount consent={creating} onClose={() => setCreating(null)} /> : null}
    </>
  );
}

function ChangeRelationship({ consent, onClose }: { consent: ConsentDto; onClose: () => void }) {
  const qc = useQueryClient();
  const options = moves[consent.relationship.status];
  const [to, setTo] = useState<Relationship | null>(options[0] ?? null);
  const [reason, setReason] = useState('');
  const [ticket, setTicket] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const needsReason = to === 'consentDeclined' || to === 'contractTerminated';
  async function save() {
    if (!to) return;
    setBusy(true);
    setError(null);
    try {
      await ok(
        api.POST('/api/v1/consents/{tenantId}/relationship', {
          params: { path: { tenantId: consent.tenantId }, header: { 'if-match': consent.etag } },
          body: {
            status: to,
            ...(reason.trim() ? { reason: reason.trim() } : {}),
            ...(ticket.trim() ? { ticketId: ticket.trim() } : {}),
          },
        }),
      );
      await qc.invalidateQueries({ queryKey: ['consents'] });
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal opened onClose={onClose} title={`Relationship with ${companyOf(consent)}`}>
      <Stack>
        <Text size="sm">Now: {relationshipWords[consent.relationship.status]}</Text>
        <Select
          label="New status"
          data={options.map((o) => ({ value: o, label: relationshipWords[o] }))}
          value={to}
          onChange={(v) => setTo(v)}
          allowDeselect={false}
        />
        <Textarea
          label={needsReason ? 'Reason' : 'Reason (optional)'}
          description={needsReason ? 'Required when declining or terminating (R-34)' : undefined}
          required={needsReason}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          maxLength={500}
        />
        <TextInput
          label="Ticket id (optional)"
          description="At most 64 characters (R-36)"
          value={ticket}
          onChange={(e) => setTicket(e.currentTarget.value)}
          error={ticket.length > 64 ? 'At most 64 characters' : undefined}
        />
        <ErrorAlert error={error} title="Not changed" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => void save()}
            loading={busy}
            disabled={!to || (needsReason && !reason.trim()) || ticket.length > 64}
          >
            Update status
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function CreateAccount({ consent, onClose }: { consent: ConsentDto; onClose: () => void }) {
  const qc = useQueryClient();
  const [accountName, setAccountName] = useState('');
  const [name, setName] = useState(companyOf(consent) === '—' ? '' : companyOf(consent));
  const [chosen, setChosen] = useState<string[]>(['teamsOperatorConnect']);
  const [sync, setSync] = useState(true);
  const [sipConnection, setSipConnection] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<{ id: string; name: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const accountOk = /^[A-Za-z0-9_-]{1,100}$/.test(accountName);
  async function save() {
    setBusy(true);
    setError(null);
    try {
      const r = await ok(
        api.POST('/api/v1/consents/{tenantId}/customer', {
          params: { path: { tenantId: consent.tenantId } },
          body: {
            accountName,
            ...(name.trim() ? { name: name.trim() } : {}),
            services: chosen.map((platform) => ({
              platform: platform as (typeof platforms)[number]['value'],
              syncEnabled: sync,
              ...(sipConnection.trim() ? { sipConnection: sipConnection.trim() } : {}),
            })),
          },
        }),
      );
      setDone({ id: r.customer.id, name: r.customer.name });
      void qc.invalidateQueries({ queryKey: ['consents'] });
      void qc.invalidateQueries({ queryKey: ['customers'] });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal opened onClose={onClose} title={`Create an account for ${companyOf(consent)}`} size="lg">
      {done ? (
        <Stack>
          <Alert color="green" variant="light" c="dark.8" title="Account created">
            {done.name} and its services were created.{' '}
            <Link to={`/customers/${done.id}`}>Open the customer</Link>
          </Alert>
          <Group justify="flex-end">
            <Button onClick={onClose}>Close</Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          <TextInput
            label="Account name"
            description="Letters, digits, _ and -; unique"
            required
            value={accountName}
            onChange={(e) => setAccountName(e.currentTarget.value)}
            error={accountName && !accountOk ? 'Only letters, digits, _ and -' : undefined}
          />
          <TextInput
            label="Display name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <Checkbox.Group label="Services to enable" value={chosen} onChange={setChosen}>
            <Stack gap={4} mt={4}>
              {platforms.map((p) => (
                <Checkbox key={p.value} value={p.value} label={p.label} />
              ))}
            </Stack>
          </Checkbox.Group>
          <Checkbox
            label="Sync with the platform (flow-through provisioning)"
            checked={sync}
            onChange={(e) => setSync(e.currentTarget.checked)}
          />
          <TextInput
            label="Default SIP connection (optional)"
            value={sipConnection}
            onChange={(e) => setSipConnection(e.currentTarget.value)}
          />
          <ErrorAlert error={error} title="The account was not created" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button onClick={() => void save()} loading={busy} disabled={!accountOk}>
              Create account
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
