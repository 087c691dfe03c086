/** Sites (hosted voice buildings) and each site's telephony list. */
import {
  Alert,
  Button,
  Card,
  Group,
  Modal,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, ApiError, ok, type RangeDto } from '../api/client';
import { useSession } from '../auth';
import {
  ErrorAlert,
  PageHeader,
  sumUtilisation,
  UtilisationBar,
  UtilisationLegend,
  type Utilisation,
} from '../components/common';
import { NumbersTable } from '../components/NumbersTable';
import { useRanges, useSites } from '../lookups';
import { Link } from '../router';

/** Utilisation per site: the sum over the site's ranges. */
export function siteUtilisation(ranges: RangeDto[] | undefined): Map<string, Utilisation> {
  const out = new Map<string, Utilisation[]>();
  for (const r of ranges ?? []) {
    if (!r.siteId) continue;
    out.set(r.siteId, [...(out.get(r.siteId) ?? []), r.utilisation]);
  }
  return new Map([...out].map(([k, v]) => [k, sumUtilisation(v)]));
}

export function SitesPage() {
  const session = useSession();
  const sites = useSites();
  const ranges = useRanges();
  const util = useMemo(() => siteUtilisation(ranges.data), [ranges.data]);
  const [adding, setAdding] = useState(false);
  return (
    <>
      <PageHeader
        title="Sites"
        description="Buildings where numbers are provisioned for hosted voice. Open a site for its telephony list."
        actions={
          session.can('write') ? <Button onClick={() => setAdding(true)}>Add a site</Button> : null
        }
      />
      <ErrorAlert error={sites.error} />
      <UtilisationLegend />
      <Table highlightOnHover aria-label="Sites" mt="xs" data-testid="sites-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Site</Table.Th>
            <Table.Th>Country</Table.Th>
            <Table.Th>Address</Table.Th>
            <Table.Th>Allocation policy</Table.Th>
            <Table.Th>Numbers</Table.Th>
            <Table.Th>Utilisation</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(sites.data ?? []).map((s) => {
            const u = util.get(s.id);
            return (
              <Table.Tr key={s.id}>
                <Table.Td>
                  <Link to={`/sites/${s.id}`}>{s.name}</Link>
                </Table.Td>
                <Table.Td>{s.country}</Table.Td>
                <Table.Td>{s.address ?? ''}</Table.Td>
                <Table.Td>{s.allocationPolicy === 'batchOf5' ? 'Batches of 5' : 'Exact'}</Table.Td>
                <Table.Td>{u ? u.total.toLocaleString('en-GB') : '0'}</Table.Td>
                <Table.Td miw={200}>{u ? <UtilisationBar u={u} label={s.name} /> : null}</Table.Td>
              </Table.Tr>
            );
          })}
          {sites.data?.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={6}>
                <Text c="dimmed" ta="center" py="md">
                  No sites yet.
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : null}
        </Table.Tbody>
      </Table>
      {adding ? <AddSite onClose={() => setAdding(false)} /> : null}
    </>
  );
}

function AddSite({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [country, setCountry] = useState('GB');
  const [address, setAddress] = useState('');
  const [policy, setPolicy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function save() {
    setBusy(true);
    setError(null);
    try {
      await ok(
        api.POST('/api/v1/sites', {
          body: {
            name: name.trim(),
            country: country.trim().toUpperCase(),
            ...(address.trim() ? { address: address.trim() } : {}),
            ...(policy ? { allocationPolicy: policy as 'batchOf5' | 'exact' } : {}),
          },
        }),
      );
      await qc.invalidateQueries({ queryKey: ['sites'] });
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal opened onClose={onClose} title="Add a site">
      <Stack>
        <TextInput
          label="Name"
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <TextInput
          label="Country"
          description="ISO code, e.g. GB; the site takes only numbers of this country (R-3)"
          required
          maxLength={2}
          value={country}
          onChange={(e) => setCountry(e.currentTarget.value)}
        />
        <TextInput
          label="Address"
          value={address}
          onChange={(e) => setAddress(e.currentTarget.value)}
        />
        <Select
          label="Automatic allocation"
          description="Default: batches of 5 in the UK, exact elsewhere (R-40)"
          clearable
          data={[
            { value: 'batchOf5', label: 'Batches of 5' },
            { value: 'exact', label: 'Exact quantity' },
          ]}
          value={policy}
          onChange={setPolicy}
        />
        <ErrorAlert error={error} title="The site was not created" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => void save()}
            loading={busy}
            disabled={!name.trim() || country.trim().length !== 2}
          >
            Create site
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function SitePage({ id }: { id: string }) {
  const site = useQuery({
    queryKey: ['site', id],
    queryFn: () => ok(api.GET('/api/v1/sites/{id}', { params: { path: { id } } })),
  });
  const ranges = useRanges();
  const u = useMemo(() => siteUtilisation(ranges.data).get(id), [ranges.data, id]);
  const fixed = useMemo(() => ({ siteId: id }), [id]);
  if (site.error) {
    return site.error instanceof ApiError && site.error.status === 404 ? (
      <Alert color="yellow" variant="light" c="dark.8" title="Not found">
        There is no such site. <Link to="/sites">All sites</Link>
      </Alert>
    ) : (
      <ErrorAlert error={site.error} />
    );
  }
  const s = site.data;
  return (
    <>
      <PageHeader
        title={s ? `${s.name} · Telephony` : 'Site'}
        description={<Link to="/sites">All sites</Link>}
      />
      {s ? (
        <Card withBorder mb="md">
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                COUNTRY
              </Text>
              <Text size="sm">{s.country}</Text>
            </div>
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                ADDRESS
              </Text>
              <Text size="sm">{s.address ?? '—'}</Text>
            </div>
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                AUTOMATIC ALLOCATION
              </Text>
              <Text size="sm">
                {s.allocationPolicy === 'batchOf5' ? 'Batches of 5' : 'Exact quantity'}
              </Text>
            </div>
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                UTILISATION
              </Text>
              {u ? <UtilisationBar u={u} label={s.name} /> : <Text size="sm">No ranges</Text>}
            </div>
          </SimpleGrid>
        </Card>
      ) : null}
      <NumbersTable variant="site" fixed={fixed} />
    </>
  );
}
