/** Ranges with their utilisation (SPEC §2: ranges are first-class). */
import {
  Button,
  Checkbox,
  Group,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, ok } from '../api/client';
import { useSession } from '../auth';
import {
  ErrorAlert,
  PageHeader,
  UtilisationBar,
  UtilisationLegend,
  utilisationSummary,
} from '../components/common';
import { byId, useRanges, useSites } from '../lookups';
import { Link } from '../router';

export function RangesPage() {
  const session = useSession();
  const ranges = useRanges();
  const sites = useSites();
  const siteMap = useMemo(() => byId(sites.data), [sites.data]);
  const [adding, setAdding] = useState(false);

  return (
    <>
      <PageHeader
        title="Ranges"
        description="Blocks of numbers from the regulator or ported in, with how much of each is in use."
        actions={
          session.can('write') ? <Button onClick={() => setAdding(true)}>Add a range</Button> : null
        }
      />
      <ErrorAlert error={ranges.error} />
      <UtilisationLegend />
      <Table.ScrollContainer minWidth={900} mt="xs">
        <Table highlightOnHover aria-label="Ranges" data-testid="ranges-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>First – last number</Table.Th>
              <Table.Th>Size</Table.Th>
              <Table.Th>Site</Table.Th>
              <Table.Th>Carrier</Table.Th>
              <Table.Th>Utilisation</Table.Th>
              <Table.Th>In use</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(ranges.data ?? []).map((r) => {
              const used = r.utilisation.total - r.utilisation.available;
              return (
                <Table.Tr key={r.id} data-range={r.name}>
                  <Table.Td>
                    <Link to={`/numbers?rangeId=${r.id}`}>{r.name}</Link>
                    {r.portedIn ? (
                      <Text span size="xs" c="dimmed">
                        {' '}
                        (ported in)
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td className="mono">
                    {r.start} – {r.end}
                  </Table.Td>
                  <Table.Td>{r.size.toLocaleString('en-GB')}</Table.Td>
                  <Table.Td>
                    {r.siteId ? (
                      <Link to={`/sites/${r.siteId}`}>{siteMap.get(r.siteId)?.name ?? ''}</Link>
                    ) : (
                      ''
                    )}
                  </Table.Td>
                  <Table.Td>{r.carrier ?? ''}</Table.Td>
                  <Table.Td miw={200}>
                    <UtilisationBar u={r.utilisation} label={r.name} />
                  </Table.Td>
                  <Table.Td title={utilisationSummary(r.utilisation)}>
                    {r.utilisation.total
                      ? `${((100 * used) / r.utilisation.total).toFixed(1)}%`
                      : '—'}
                  </Table.Td>
                </Table.Tr>
              );
            })}
            {ranges.data?.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={7}>
                  <Text c="dimmed" ta="center" py="md">
                    No ranges yet.
                  </Text>
                </Table.Td>
              </Table.Tr>
            ) : null}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {adding ? <AddRange onClose={() => setAdding(false)} /> : null}
    </>
  );
}

function AddRange({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const sites = useSites();
  const [name, setName] = useState('');
  const [start, setStart] = useState('');
  const [mode, setMode] = useState<'end' | 'count'>('count');
  const [end, setEnd] = useState('');
  const [count, setCount] = useState('100');
  const [country, setCountry] = useState('');
  const [siteId, setSiteId] = useState<string | null>(null);
  const [carrier, setCarrier] = useState('');
  const [portedIn, setPortedIn] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const n = Number(count);

  async function save() {
    setBusy(true);
    setError(null);
    try {
      await ok(
        api.POST('/api/v1/ranges', {
          body: {
            name: name.trim(),
            start: start.trim(),
            ...(mode === 'end' ? { end: end.trim() } : { count: n }),
            ...(country.trim() ? { country: country.trim().toUpperCase() } : {}),
            ...(siteId ? { siteId } : {}),
            ...(carrier.trim() ? { carrier: carrier.trim() } : {}),
            portedIn,
          },
        }),
      );
      await qc.invalidateQueries({ queryKey: ['ranges'] });
      void qc.invalidateQueries({ queryKey: ['numbers'] });
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const ready =
    name.trim() && start.trim() && (mode === 'end' ? end.trim() : Number.isInteger(n) && n >= 1);
  return (
    <Modal opened onClose={onClose} title="Add a range" size="md">
      <Stack>
        <Text size="sm">
          Creates the range and every number in it as available (R-4: at most 1,000,000 numbers,
          both ends the same length).
        </Text>
        <TextInput
          label="Name"
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <TextInput
          label="First number"
          description="E.164 (+44…) or national with a country"
          required
          value={start}
          onChange={(e) => setStart(e.currentTarget.value)}
        />
        <SegmentedControl
          aria-label="Give the range by"
          value={mode}
          onChange={(v) => setMode(v)}
          data={[
            { value: 'count', label: 'How many' },
            { value: 'end', label: 'Last number' },
          ]}
        />
        {mode === 'count' ? (
          <TextInput
            label="How many numbers"
            inputMode="numeric"
            value={count}
            onChange={(e) => setCount(e.currentTarget.value)}
            error={
              count && !(Number.isInteger(n) && n >= 1) ? 'A whole number, 1 or more' : undefined
            }
          />
        ) : (
          <TextInput
            label="Last number"
            value={end}
            onChange={(e) => setEnd(e.currentTarget.value)}
          />
        )}
        <Group grow>
          <TextInput
            label="Country (optional)"
            description="For national input"
            maxLength={2}
            value={country}
            onChange={(e) => setCountry(e.currentTarget.value)}
          />
          <TextInput
            label="Carrier (optional)"
            value={carrier}
            onChange={(e) => setCarrier(e.currentTarget.value)}
          />
        </Group>
        <Select
          label="Site (optional)"
          clearable
          searchable
          data={(sites.data ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.country})` }))}
          value={siteId}
          onChange={setSiteId}
        />
        <Checkbox
          label="Ported in"
          checked={portedIn}
          onChange={(e) => setPortedIn(e.currentTarget.checked)}
        />
        <ErrorAlert error={error} title="The range was not created" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => void save()} loading={busy} disabled={!ready}>
            Create range
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
