/**
 * Civic addresses and their locations (SPEC §6): the ones a customer set up
 * on its platform arrive by sync and are read-only; the ones the operator
 * keeps for hosted voice are created and edited here.
 */
import {
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { api, ok, type AddressDto } from '../api/client';
import { useSession } from '../auth';
import { ErrorAlert, PageHeader } from '../components/common';
import { useCustomers } from '../lookups';

export function AddressesPage() {
  const session = useSession();
  const customers = useCustomers();
  const [customerId, setCustomerId] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const addresses = useQuery({
    queryKey: ['civic-addresses', 'page', customerId],
    queryFn: () =>
      ok(
        api.GET('/api/v1/civic-addresses', {
          params: { query: { limit: 1000, ...(customerId ? { customerId } : {}) } },
        }),
      ),
  });
  const names = new Map((customers.data ?? []).map((c) => [c.id, c.name]));
  return (
    <>
      <PageHeader
        title="Civic addresses"
        description="Emergency addresses and their locations. Addresses that came from a customer's platform are read-only."
        actions={
          session.can('write') && session.isOperator ? (
            <Button onClick={() => setAdding(true)}>Add an address</Button>
          ) : null
        }
      />
      {session.isOperator ? (
        <Select
          label="Customer"
          placeholder="All"
          searchable
          clearable
          data={(customers.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
          value={customerId}
          onChange={setCustomerId}
          w={260}
          mb="sm"
        />
      ) : null}
      <ErrorAlert error={addresses.error} />
      <Table.ScrollContainer minWidth={900}>
        <Table aria-label="Civic addresses" data-testid="addresses-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Company</Table.Th>
              <Table.Th>Description</Table.Th>
              <Table.Th>Address</Table.Th>
              <Table.Th>Customer</Table.Th>
              <Table.Th>Validated</Table.Th>
              <Table.Th>Source</Table.Th>
              <Table.Th>Locations</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(addresses.data?.items ?? []).map((a) => (
              <Fragment key={a.id}>
                <Table.Tr data-address={a.description ?? a.id}>
                  <Table.Td>{a.companyName ?? '—'}</Table.Td>
                  <Table.Td>{a.description ?? '—'}</Table.Td>
                  <Table.Td>
                    {[a.street, a.city, a.region, a.postalCode, a.country]
                      .filter(Boolean)
                      .join(', ')}
                  </Table.Td>
                  <Table.Td>
                    {a.customerId ? (names.get(a.customerId) ?? 'Customer') : 'Operator'}
                  </Table.Td>
                  <Table.Td>{a.validated ? 'Yes' : 'No'}</Table.Td>
                  <Table.Td>
                    <Badge variant="outline" color="dark" tt="none">
                      {a.readOnly ? 'From platform (read-only)' : 'Kept by operator'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="compact-xs"
                      variant="default"
                      aria-expanded={open === a.id}
                      onClick={() => setOpen(open === a.id ? null : a.id)}
                    >
                      {open === a.id ? 'Hide' : 'Show'} {a.locations.length} location
                      {a.locations.length === 1 ? '' : 's'}
                    </Button>
                  </Table.Td>
                </Table.Tr>
                {open === a.id ? (
                  <Table.Tr>
                    <Table.Td colSpan={7} bg="gray.0">
                      <Locations address={a} />
                    </Table.Td>
                  </Table.Tr>
                ) : null}
              </Fragment>
            ))}
            {addresses.data?.items.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={7}>
                  <Text c="dimmed" ta="center" py="md">
                    No addresses.
                  </Text>
                </Table.Td>
              </Table.Tr>
            ) : null}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {adding ? <AddAddress onClose={() => setAdding(false)} /> : null}
    </>
  );
}

function Locations({ address }: { address: AddressDto }) {
  if (address.locations.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No locations.
      </Text>
    );
  return (
    <Table aria-label={`Locations of ${address.description ?? 'the address'}`}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Location</Table.Th>
          <Table.Th>Additional info</Table.Th>
          <Table.Th>ELIN</Table.Th>
          <Table.Th>Default</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {address.locations.map((l) => (
          <Table.Tr key={l.id}>
            <Table.Td>{l.description ?? '—'}</Table.Td>
            <Table.Td>{l.additionalInfo ?? ''}</Table.Td>
            <Table.Td className="mono">{l.elin ?? ''}</Table.Td>
            <Table.Td>{l.isDefault ? 'Default' : ''}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function AddAddress({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const customers = useCustomers();
  const [customerId, setCustomerId] = useState<string | null>(null);
  const [f, setF] = useState({
    companyName: '',
    description: '',
    street: '',
    city: '',
    postalCode: '',
    country: 'GB',
  });
  const [location, setLocation] = useState('Reception');
  const [elin, setElin] = useState('');
  const [validated, setValidated] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const field = (k: keyof typeof f, label: string, required = false) => (
    <TextInput
      label={label}
      required={required}
      value={f[k]}
      onChange={(e) => {
        const v = e.currentTarget.value;
        setF((x) => ({ ...x, [k]: v }));
      }}
    />
  );
  async function save() {
    setBusy(true);
    setError(null);
    const opt = (v: string) => (v.trim() ? v.trim() : undefined);
    try {
      await ok(
        api.POST('/api/v1/civic-addresses', {
          body: {
            customerId,
            country: f.country.trim().toUpperCase(),
            companyName: opt(f.companyName),
            description: opt(f.description),
            street: opt(f.street),
            city: opt(f.city),
            postalCode: opt(f.postalCode),
            validated,
            locations: location.trim()
              ? [
                  {
                    description: location.trim(),
                    isDefault: true,
                    ...(elin.trim() ? { elin: elin.trim() } : {}),
                  },
                ]
              : [],
          },
        }),
      );
      await qc.invalidateQueries({ queryKey: ['civic-addresses'] });
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal opened onClose={onClose} title="Add a civic address" size="lg">
      <Stack>
        <Select
          label="For"
          placeholder="The operator"
          searchable
          clearable
          data={(customers.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
          value={customerId}
          onChange={setCustomerId}
        />
        <Group grow>
          {field('companyName', 'Company')}
          {field('description', 'Description')}
        </Group>
        {field('street', 'Street')}
        <Group grow>
          {field('city', 'City')}
          {field('postalCode', 'Postal code')}
          {field('country', 'Country', true)}
        </Group>
        <Group grow>
          <TextInput
            label="First location"
            value={location}
            onChange={(e) => setLocation(e.currentTarget.value)}
          />
          <TextInput
            label="ELIN (optional)"
            value={elin}
            onChange={(e) => setElin(e.currentTarget.value)}
          />
        </Group>
        <Checkbox
          label="The address is validated"
          checked={validated}
          onChange={(e) => setValidated(e.currentTarget.checked)}
        />
        <ErrorAlert error={error} title="The address was not created" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => void save()}
            loading={busy}
            disabled={f.country.trim().length !== 2}
          >
            Create address
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
