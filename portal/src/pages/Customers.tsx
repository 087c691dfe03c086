/** Customers (tenants, occupiers) and one customer's numbers, with the upload dialog. */
import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, ApiError, ok, type CustomerDto } from '../api/client';
import { useSession } from '../auth';
import { ErrorAlert, PageHeader } from '../components/common';
import { Confirm } from '../components/Confirm';
import { NumbersTable } from '../components/NumbersTable';
import { ServicesCard, useServices } from '../components/Services';
import { UploadNumbers } from '../components/UploadNumbers';
import { useCustomers } from '../lookups';
import { Link } from '../router';

const statusColor = { active: 'green', suspended: 'yellow', closed: 'gray' } as const;
const statusWords = { active: 'Active', suspended: 'Suspended', closed: 'Closed' } as const;

function CustomerStatus({ status }: { status: CustomerDto['status'] }) {
  return (
    <Badge variant="dot" color={statusColor[status]} c="dark.8" tt="none" fw={500}>
      {statusWords[status]}
    </Badge>
  );
}

export function CustomersPage() {
  const session = useSession();
  const customers = useCustomers();
  const [adding, setAdding] = useState(false);
  const [q, setQ] = useState('');
  const list = (customers.data ?? []).filter(
    (c) => !q || `${c.name} ${c.accountName}`.toLowerCase().includes(q.toLowerCase()),
  );
  return (
    <>
      <PageHeader
        title="Customers"
        description="Enterprises and occupiers the operator serves."
        actions={
          session.can('write') ? (
            <Button onClick={() => setAdding(true)}>Add a customer</Button>
          ) : null
        }
      />
      <TextInput
        label="Find a customer"
        value={q}
        onChange={(e) => setQ(e.currentTarget.value)}
        w={280}
        mb="sm"
      />
      <ErrorAlert error={customers.error} />
      <Table highlightOnHover aria-label="Customers" data-testid="customers-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Account name</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Teams tenant id</Table.Th>
            <Table.Th>Webex org id</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td>
                <Link to={`/customers/${c.id}`}>{c.name}</Link>
              </Table.Td>
              <Table.Td className="mono">{c.accountName}</Table.Td>
              <Table.Td>
                <CustomerStatus status={c.status} />
              </Table.Td>
              <Table.Td className="mono">{c.teamsTenantId ?? ''}</Table.Td>
              <Table.Td className="mono">{c.webexOrgId ?? ''}</Table.Td>
            </Table.Tr>
          ))}
          {customers.data && list.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={5}>
                <Text c="dimmed" ta="center" py="md">
                  No customer matches.
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : null}
        </Table.Tbody>
      </Table>
      {adding ? <AddCustomer onClose={() => setAdding(false)} /> : null}
    </>
  );
}

function AddCustomer({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [accountName, setAccountName] = useState('');
  const [tenant, setTenant] = useState('');
  const [webex, setWebex] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const accountOk = /^[A-Za-z0-9_-]{1,100}$/.test(accountName);
  async function save() {
    setBusy(true);
    setError(null);
    try {
      await ok(
        api.POST('/api/v1/customers', {
          body: {
            name: name.trim(),
            accountName,
            ...(tenant.trim() ? { teamsTenantId: tenant.trim() } : {}),
            ...(webex.trim() ? { webexOrgId: webex.trim() } : {}),
          },
        }),
      );
      await qc.invalidateQueries({ queryKey: ['customers'] });
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal opened onClose={onClose} title="Add a customer">
      <Stack>
        <TextInput
          label="Name"
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <TextInput
          label="Account name"
          description="Letters, digits, _ and -; unique"
          required
          value={accountName}
          onChange={(e) => setAccountName(e.currentTarget.value)}
          error={accountName && !accountOk ? 'Only letters, digits, _ and -' : undefined}
        />
        <TextInput
          label="Teams tenant id (optional)"
          value={tenant}
          onChange={(e) => setTenant(e.currentTarget.value)}
        />
        <TextInput
          label="Webex org id (optional)"
          value={webex}
          onChange={(e) => setWebex(e.currentTarget.value)}
        />
        <ErrorAlert error={error} title="The customer was not created" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => void save()} loading={busy} disabled={!name.trim() || !accountOk}>
            Create customer
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function CustomerPage({ id }: { id: string }) {
  const session = useSession();
  const qc = useQueryClient();
  const customer = useQuery({
    queryKey: ['customer', id],
    queryFn: () => ok(api.GET('/api/v1/customers/{id}', { params: { path: { id } } })),
  });
  const fixed = useMemo(() => ({ customerId: id }), [id]);
  const services = useServices(id);
  const [uploading, setUploading] = useState(false);
  const [closing, setClosing] = useState(false);

  const [statusTo, setStatusTo] = useState<'active' | 'suspended' | null>(null);
  // Throws on refusal: the confirmation dialog shows why.
  async function setStatus(status: 'active' | 'suspended') {
    await ok(
      api.PATCH('/api/v1/customers/{id}', {
        params: { path: { id }, header: { 'if-match': customer.data!.etag } },
        body: { status },
      }),
    );
    await qc.invalidateQueries({ queryKey: ['customer', id] });
    void qc.invalidateQueries({ queryKey: ['customers'] });
  }

  if (customer.error) {
    return customer.error instanceof ApiError && customer.error.status === 404 ? (
      <Alert color="yellow" variant="light" c="dark.8" title="Not found">
        There is no such customer. <Link to="/customers">All customers</Link>
      </Alert>
    ) : (
      <ErrorAlert error={customer.error} />
    );
  }
  const c = customer.data;
  const operatorWrite = session.isOperator && session.can('write');
  return (
    <>
      <PageHeader
        title={c?.name ?? 'Customer'}
        description={session.isOperator ? <Link to="/customers">All customers</Link> : undefined}
        actions={
          c && operatorWrite && c.status !== 'closed' ? (
            <>
              <Button onClick={() => setUploading(true)} disabled={c.status !== 'active'}>
                Upload numbers
              </Button>
              {c.status === 'active' ? (
                <Button variant="default" onClick={() => setStatusTo('suspended')}>
                  Suspend
                </Button>
              ) : (
                <Button variant="default" onClick={() => setStatusTo('active')}>
                  Reactivate
                </Button>
              )}
              <Button variant="default" color="red" c="red.9" onClick={() => setClosing(true)}>
                Close customer
              </Button>
            </>
          ) : null
        }
      />
      {c ? (
        <Card withBorder mb="md">
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                ACCOUNT NAME
              </Text>
              <Text size="sm" className="mono">
                {c.accountName}
              </Text>
            </div>
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                STATUS
              </Text>
              <CustomerStatus status={c.status} />
            </div>
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                TEAMS TENANT ID
              </Text>
              <Text size="sm" className="mono">
                {c.teamsTenantId ?? '—'}
              </Text>
            </div>
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                WEBEX ORG ID
              </Text>
              <Text size="sm" className="mono">
                {c.webexOrgId ?? '—'}
              </Text>
            </div>
          </SimpleGrid>
        </Card>
      ) : null}
      {c ? <ServicesCard customer={c} /> : null}
      <NumbersTable variant="customer" fixed={fixed} />
      {uploading && c ? (
        <UploadNumbers
          customer={c}
          services={services.data?.items ?? []}
          onClose={() => setUploading(false)}
        />
      ) : null}
      {closing && c ? <CloseCustomer customer={c} onClose={() => setClosing(false)} /> : null}
      {statusTo && c ? (
        <Confirm
          title={statusTo === 'suspended' ? `Suspend ${c.name}` : `Reactivate ${c.name}`}
          confirmLabel={statusTo === 'suspended' ? `Suspend ${c.name}` : `Reactivate ${c.name}`}
          onConfirm={() => setStatus(statusTo)}
          onClose={() => setStatusTo(null)}
        >
          {statusTo === 'suspended'
            ? `While suspended, ${c.name} gets no new numbers; the numbers it holds stay as they are. You can reactivate it at any time.`
            : `${c.name} becomes active again and can get numbers.`}
        </Confirm>
      ) : null}
    </>
  );
}

function CloseCustomer({ customer, onClose }: { customer: CustomerDto; onClose: () => void }) {
  const qc = useQueryClient();
  const [release, setRelease] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function run() {
    setBusy(true);
    setError(null);
    try {
      await ok(
        api.POST('/api/v1/customers/{id}/close', {
          params: { path: { id: customer.id } },
          body: { releaseNumbers: release },
        }),
      );
      await qc.invalidateQueries();
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal opened onClose={onClose} title={`Close ${customer.name}`}>
      <Stack>
        <Text>
          A closed customer cannot get numbers any more. A customer that still holds numbers can
          only be closed if its numbers are released at the same time (they then cool off).
        </Text>
        <Checkbox
          label="Release all its numbers"
          checked={release}
          onChange={(e) => setRelease(e.currentTarget.checked)}
        />
        <ErrorAlert error={error} title="The customer was not closed" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red" onClick={() => void run()} loading={busy}>
            Close {customer.name}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
