/**
 * Every lifecycle action, and the platform-sync decisions (approve removal,
 * reactivate: SPEC §3.3), go through this dialog: it says what will happen
 * to which numbers, asks for what the action needs (holder, assignment, lock
 * reason, ticket id), runs it in batches of at most 1,000 (the bulk limit),
 * shows progress, and ends with a per-number report in plain words.
 */
import {
  Alert,
  Button,
  Group,
  List,
  Modal,
  Progress,
  ScrollArea,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import {
  api,
  ApiError,
  ok,
  type ActionName,
  type BulkBody,
  type BulkResult,
  type Holder,
  type JobDto,
} from '../api/client';
import { JobProgress, JobStatus } from '../pages/Jobs';
import { Link } from '../router';
import {
  actionInfo,
  isSyncAction,
  plainReason,
  plural,
  syncActionInfo,
  type SyncActionName,
} from '../api/words';
import { useSession } from '../auth';
import { useCustomers } from '../lookups';

const BATCH = 1000;
const SHOWN = 8;

/** A lifecycle action (POST /numbers/bulk/{action}) or a sync decision (POST /numbers/bulk/sync/…). */
export type DialogAction = ActionName | SyncActionName;

export interface ActionOutcome {
  action: DialogAction;
  results: BulkResult[];
}

export function ActionDialog({
  action,
  numbers,
  onClose,
  onDone,
  holder,
  filter,
}: {
  action: DialogAction;
  numbers: string[];
  /**
   * Act on every number the list's filter selects instead (SPEC §4: a bulk
   * action by filter runs as a job); `numbers` is then only a preview and
   * `filterCount` how many the filter selects.
   */
  filter?: { query: NonNullable<BulkBody['filter']>; count: number | null };
  onClose: () => void;
  onDone?: (o: ActionOutcome) => void;
  /** Allocate to this holder (the upload dialog of a customer) instead of asking. */
  holder?: Holder & { name: string };
}) {
  const info = isSyncAction(action) ? syncActionInfo[action] : actionInfo[action];
  const session = useSession();
  const qc = useQueryClient();
  const customers = useCustomers();
  const [holderType, setHolderType] = useState<'customer' | 'operator'>('customer');
  const [customerId, setCustomerId] = useState<string | null>(null);
  const [assignType, setAssignType] = useState<'user' | 'conference' | 'voiceApp'>('user');
  const [targetId, setTargetId] = useState('');
  const [targetName, setTargetName] = useState('');
  const [reason, setReason] = useState('');
  const [ticket, setTicket] = useState('');
  const [progress, setProgress] = useState<{ done: number } | null>(null);
  const [results, setResults] = useState<BulkResult[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const count = filter ? (filter.count ?? 0) : numbers.length;
  const [job, setJob] = useState<JobDto | null>(null);

  const missing =
    action === 'allocate' && !holder && holderType === 'customer' && !customerId
      ? 'Choose the customer'
      : action === 'assign' && !targetId.trim()
        ? 'Enter who or what the numbers are assigned to'
        : action === 'lock' && !reason.trim()
          ? 'Give a reason for the lock'
          : ticket.length > 64
            ? 'A ticket id has at most 64 characters'
            : null;

  async function run() {
    setError(null);
    const extra: Omit<BulkBody, 'numbers'> = {};
    if (action === 'allocate' && holder) {
      extra.holder =
        holder.type === 'operator'
          ? { type: 'operator' }
          : { type: 'customer', customerId: holder.customerId };
    } else if (action === 'allocate') {
      extra.holder =
        holderType === 'operator'
          ? { type: 'operator' }
          : { type: 'customer', customerId: customerId! };
    }
    if (action === 'assign') {
      extra.assignment = {
        type: assignType,
        targetId: targetId.trim(),
        ...(targetName.trim() ? { targetName: targetName.trim() } : {}),
      };
    }
    if (action === 'lock') extra.reason = reason.trim();
    const headers = ticket.trim() ? { 'x-ticket-id': ticket.trim() } : {};
    if (filter && !isSyncAction(action)) {
      try {
        const r = await ok(
          api.POST('/api/v1/numbers/bulk/{action}', {
            params: { path: { action } },
            headers,
            body: { filter: filter.query, ...extra },
          }),
        );
        if ('results' in r) {
          setResults(r.results);
          onDone?.({ action, results: r.results });
        } else setJob(r);
      } catch (err) {
        setError(err instanceof ApiError ? err.message : String(err));
      }
      return;
    }
    const out: BulkResult[] = [];
    setProgress({ done: 0 });
    try {
      for (let i = 0; i < numbers.length; i += BATCH) {
        const batch = numbers.slice(i, i + BATCH);
        // R-36: the ticket id travels in a header every write route accepts.
        const r = isSyncAction(action)
          ? await ok(
              action === 'approve-removal'
                ? api.POST('/api/v1/numbers/bulk/sync/approve-removal', {
                    headers,
                    body: { numbers: batch },
                  })
                : api.POST('/api/v1/numbers/bulk/sync/reactivate', {
                    headers,
                    body: { numbers: batch },
                  }),
            )
          : await ok(
              api.POST('/api/v1/numbers/bulk/{action}', {
                params: { path: { action } },
                headers,
                body: { numbers: batch, ...extra },
              }),
            );
        // Batches of at most 1,000 are answered at once, number by number.
        if (!('results' in r)) throw new Error('the server queued this batch as a job');
        out.push(...r.results);
        setProgress({ done: Math.min(numbers.length, i + BATCH) });
      }
      setResults(out);
      onDone?.({ action, results: out });
    } catch (err) {
      // Nothing of a refused batch was applied (bulk answers are per number,
      // a refusal of the whole request changes nothing); earlier batches were.
      setError(
        (err instanceof ApiError ? err.message : String(err)) +
          (out.length ? ` — ${plural(out.length, 'number')} before this were processed.` : ''),
      );
      if (out.length) setResults(out);
    } finally {
      setProgress(null);
      void qc.invalidateQueries({ queryKey: ['numbers'] });
      void qc.invalidateQueries({ queryKey: ['number'] });
      void qc.invalidateQueries({ queryKey: ['ranges'] });
    }
  }

  const title = filter
    ? `${info.verb} all${filter.count === null ? '' : ` ${plural(filter.count, 'number')}`} matching the filter`
    : `${info.verb} ${plural(count, 'number')}`;
  const failed = results?.filter((r) => !r.ok) ?? [];
  const succeeded = (results?.length ?? 0) - failed.length;

  return (
    <Modal opened onClose={onClose} title={title} size="lg" closeOnClickOutside={!progress}>
      {job ? (
        <JobWatch id={job.id} onClose={onClose} />
      ) : results ? (
        <Stack>
          <div aria-live="polite">
            {failed.length === 0 ? (
              <Alert color="green" variant="light" c="dark.8" title="Done">
                {plural(succeeded, 'number')} {succeeded === 1 ? 'was' : 'were'} {info.done}.
              </Alert>
            ) : (
              <Alert
                color={succeeded ? 'yellow' : 'red'}
                variant="light"
                c="dark.8"
                title={succeeded ? 'Partly done' : 'Nothing changed'}
              >
                {plural(succeeded, 'number')} {info.done}; {plural(failed.length, 'number')} not.
                Nothing was half-done to any number.
              </Alert>
            )}
          </div>
          {error ? (
            <Alert color="red" variant="light" c="dark.8" role="alert">
              {error}
            </Alert>
          ) : null}
          {failed.length > 0 ? (
            <ScrollArea.Autosize mah={320}>
              <Table striped aria-label="Numbers that were not changed">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Number</Table.Th>
                    <Table.Th>Why not</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {failed.map((r) => (
                    <Table.Tr key={r.e164} data-failed-number={r.e164}>
                      <Table.Td className="mono">{r.e164}</Table.Td>
                      <Table.Td>
                        {plainReason(r.code, r.message, r.rule)}
                        {r.message && r.code ? (
                          <Text size="xs" c="dimmed">
                            {r.code}: {r.message}
                          </Text>
                        ) : null}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollArea.Autosize>
          ) : null}
          <Group justify="flex-end">
            <Button onClick={onClose}>Close</Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          <Text>{info.explain}</Text>
          {filter ? (
            <Alert color="blue" variant="light" c="dark.8">
              This runs as a job on every number the current filter selects
              {filter.count === null ? '' : ` (${plural(filter.count, 'number')} now)`}; you can
              follow its progress here or on the Jobs page. Numbers that cannot take the action are
              reported in the job&apos;s errors.
            </Alert>
          ) : null}
          <div hidden={!!filter}>
            <Text size="sm" fw={600}>
              {count === 1 ? 'Number' : `${plural(count, 'number')}:`}
            </Text>
            <List size="sm" className="mono">
              {numbers.slice(0, SHOWN).map((n) => (
                <List.Item key={n}>{n}</List.Item>
              ))}
            </List>
            {count > SHOWN ? (
              <Text size="sm" c="dimmed">
                and {plural(count - SHOWN, 'more number')}
              </Text>
            ) : null}
          </div>
          {action === 'allocate' && holder ? (
            <Text>
              To: <strong>{holder.name}</strong>
            </Text>
          ) : null}
          {action === 'allocate' && !holder ? (
            <>
              <SegmentedControl
                aria-label="Allocate to"
                value={holderType}
                onChange={(v) => setHolderType(v)}
                data={[
                  { value: 'customer', label: 'A customer' },
                  { value: 'operator', label: 'The operator' },
                ]}
              />
              {holderType === 'customer' ? (
                <Select
                  label="Customer"
                  placeholder="Type to search"
                  searchable
                  required
                  data={(customers.data ?? [])
                    .filter((c) => c.status === 'active')
                    .map((c) => ({ value: c.id, label: `${c.name} (${c.accountName})` }))}
                  value={customerId}
                  onChange={setCustomerId}
                  nothingFoundMessage="No active customer matches"
                />
              ) : null}
            </>
          ) : null}
          {action === 'assign' ? (
            <>
              <Select
                label="Assign to"
                data={[
                  { value: 'user', label: 'A user' },
                  { value: 'conference', label: 'A conference' },
                  { value: 'voiceApp', label: 'A voice app (auto attendant, call queue)' },
                ]}
                value={assignType}
                onChange={(v) => v && setAssignType(v)}
                allowDeselect={false}
              />
              <TextInput
                label="User or target id"
                required
                value={targetId}
                onChange={(e) => setTargetId(e.currentTarget.value)}
                maxLength={200}
              />
              <TextInput
                label="Display name (optional)"
                value={targetName}
                onChange={(e) => setTargetName(e.currentTarget.value)}
                maxLength={200}
              />
            </>
          ) : null}
          {action === 'lock' ? (
            <TextInput
              label="Reason for the lock"
              description="For example: remote access voicemail number"
              required
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              maxLength={500}
            />
          ) : null}
          {session.isOperator ? (
            <TextInput
              label="Ticket id (optional)"
              description="Recorded with the change in the audit log; at most 64 characters"
              value={ticket}
              onChange={(e) => setTicket(e.currentTarget.value)}
              error={ticket.length > 64 ? 'At most 64 characters' : undefined}
            />
          ) : null}
          {progress ? (
            <div aria-live="polite">
              <Text size="sm">
                Working… {progress.done.toLocaleString('en-GB')} of {count.toLocaleString('en-GB')}
              </Text>
              <Progress value={(100 * progress.done) / count} aria-label="Progress" animated />
            </div>
          ) : null}
          {error ? (
            <Alert color="red" variant="light" c="dark.8" role="alert">
              {error}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={!!progress}>
              Cancel
            </Button>
            <Button onClick={() => void run()} loading={!!progress} disabled={!!missing}>
              {title}
            </Button>
          </Group>
          {missing ? (
            <Text size="xs" c="dimmed" ta="right">
              {missing}
            </Text>
          ) : null}
        </Stack>
      )}
    </Modal>
  );
}

/** A bulk job's live progress (polled every second until it ends). */
function JobWatch({ id, onClose }: { id: string; onClose: () => void }) {
  const qc = useQueryClient();
  const job = useQuery({
    queryKey: ['job', id],
    queryFn: () => ok(api.GET('/api/v1/jobs/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => {
      const st = q.state.data?.status;
      if (st && st !== 'queued' && st !== 'running') {
        void qc.invalidateQueries({ queryKey: ['numbers'] });
        return false;
      }
      return 1000;
    },
  });
  return (
    <Stack>
      <Alert color="blue" variant="light" c="dark.8" title="Queued as a job" aria-live="polite">
        The action runs in the background; closing this dialog does not stop it.{' '}
        <Link to="/jobs">All jobs</Link>
      </Alert>
      {job.data ? (
        <>
          <JobStatus job={job.data} />
          <JobProgress job={job.data} />
          {job.data.progress.failed > 0 ? (
            <Text size="sm">
              Some numbers could not take the action:{' '}
              <a href={job.data.links.errors} download>
                download their reasons (CSV)
              </a>
              .
            </Text>
          ) : null}
        </>
      ) : null}
      <Group justify="flex-end">
        <Button onClick={onClose}>Close</Button>
      </Group>
    </Stack>
  );
}
