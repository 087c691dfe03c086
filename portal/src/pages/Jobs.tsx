/** Jobs (SPEC §2): imports, exports, bulk actions, sync pushes — with live progress. */
import { Anchor, Badge, Button, Group, Progress, Select, Table, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type JobDto } from '../api/client';
import { formatDateTime } from '../api/words';
import { useSession } from '../auth';
import { ErrorAlert, PageHeader } from '../components/common';
import { Confirm } from '../components/Confirm';

const statusColor: Record<JobDto['status'], string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  partiallySucceeded: 'yellow',
  failed: 'red',
  cancelled: 'gray',
};
const statusWords: Record<JobDto['status'], string> = {
  queued: 'Waiting',
  running: 'Running',
  succeeded: 'Done',
  partiallySucceeded: 'Partly done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
const live = (j: JobDto) => j.status === 'queued' || j.status === 'running';

export function JobStatus({ job }: { job: JobDto }) {
  return (
    <Badge variant="dot" color={statusColor[job.status]} c="dark.8" tt="none" fw={500}>
      {statusWords[job.status]}
    </Badge>
  );
}

export function JobProgress({ job }: { job: JobDto }) {
  const { total, done, failed } = job.progress;
  const finished = job.status !== 'queued' && job.status !== 'running';
  const pct = finished ? 100 : total ? Math.min(100, (100 * (done + failed)) / total) : 0;
  const label = total
    ? `${done.toLocaleString('en-GB')} of ${total.toLocaleString('en-GB')} done`
    : `${done.toLocaleString('en-GB')} done`;
  return (
    <div>
      <Progress
        value={pct}
        animated={job.status === 'running'}
        aria-label={`Progress of job ${job.kind}: ${label}`}
        size="md"
      />
      <Text size="xs" c="dimmed">
        {label}
        {failed ? `, ${failed.toLocaleString('en-GB')} failed` : ''}
        {job.progress.note ? ` · ${job.progress.note}` : ''}
      </Text>
    </div>
  );
}

/** Polls every second while any listed job is waiting or running. */
export function useJobs(query: { kind?: string; status?: JobDto['status'] }) {
  return useQuery({
    queryKey: ['jobs', query],
    queryFn: () => ok(api.GET('/api/v1/jobs', { params: { query: { ...query, limit: 100 } } })),
    refetchInterval: (q) => (q.state.data?.items.some(live) ? 1000 : false),
  });
}

export function JobsPage() {
  const session = useSession();
  const qc = useQueryClient();
  const [status, setStatus] = useState<string | null>(null);
  const jobs = useJobs(status ? { status: status as JobDto['status'] } : {});

  const [pending, setPending] = useState<{ job: JobDto; what: 'cancel' | 'retry' } | null>(null);
  // Throws when the server refuses: the confirmation dialog shows why.
  async function act(job: JobDto, what: 'cancel' | 'retry') {
    await ok(
      what === 'cancel'
        ? api.POST('/api/v1/jobs/{id}/cancel', { params: { path: { id: job.id } } })
        : api.POST('/api/v1/jobs/{id}/retry', { params: { path: { id: job.id } } }),
    );
    await qc.invalidateQueries({ queryKey: ['jobs'] });
  }

  return (
    <>
      <PageHeader
        title="Jobs"
        description="Long work — imports, bulk actions, platform pushes — and how far each has got. This page updates itself."
      />
      <Select
        label="Status"
        placeholder="Any"
        clearable
        data={Object.entries(statusWords).map(([value, label]) => ({ value, label }))}
        value={status}
        onChange={setStatus}
        w={200}
        mb="sm"
      />
      <ErrorAlert error={jobs.error} />
      <Table.ScrollContainer minWidth={900}>
        <Table aria-label="Jobs" data-testid="jobs-table" verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Job</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th w={260}>Progress</Table.Th>
              <Table.Th>Started by</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Finished</Table.Th>
              <Table.Th>
                <span style={{ position: 'absolute', left: -9999 }}>Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(jobs.data?.items ?? []).map((j) => (
              <Table.Tr key={j.id} data-job={j.id} data-status={j.status}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {j.kind}
                  </Text>
                  {j.error ? (
                    <Text size="xs" c="red.9">
                      {j.error}
                    </Text>
                  ) : null}
                  {j.ticketId ? (
                    <Text size="xs" c="dimmed">
                      ticket {j.ticketId}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <JobStatus job={j} />
                </Table.Td>
                <Table.Td>
                  <JobProgress job={j} />
                </Table.Td>
                <Table.Td>{j.createdBy.name}</Table.Td>
                <Table.Td>{formatDateTime(j.createdAt)}</Table.Td>
                <Table.Td>{formatDateTime(j.finishedAt)}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    {j.progress.failed > 0 ? (
                      <Anchor size="sm" href={j.links.errors} download>
                        Errors (CSV)
                      </Anchor>
                    ) : null}
                    {session.can('write') && live(j) && !j.cancelRequested ? (
                      <Button
                        size="compact-xs"
                        variant="default"
                        onClick={() => setPending({ job: j, what: 'cancel' })}
                      >
                        Cancel
                      </Button>
                    ) : null}
                    {session.can('write') &&
                    (j.status === 'failed' ||
                      j.status === 'cancelled' ||
                      j.status === 'partiallySucceeded') ? (
                      <Button
                        size="compact-xs"
                        variant="default"
                        onClick={() => setPending({ job: j, what: 'retry' })}
                      >
                        Retry
                      </Button>
                    ) : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
            {jobs.data?.items.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={7}>
                  <Text c="dimmed" ta="center" py="md">
                    No jobs.
                  </Text>
                </Table.Td>
              </Table.Tr>
            ) : null}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {pending ? (
        <Confirm
          title={
            pending.what === 'cancel'
              ? `Cancel job ${pending.job.kind}`
              : `Retry job ${pending.job.kind}`
          }
          confirmLabel={pending.what === 'cancel' ? 'Cancel the job' : 'Retry the job'}
          danger={pending.what === 'cancel'}
          onConfirm={() => act(pending.job, pending.what)}
          onClose={() => setPending(null)}
        >
          {pending.what === 'cancel'
            ? 'The job stops at its next checkpoint. What it has done so far stays done; the rest is not done.'
            : 'The job runs again from the start. Items it already did are recognised and not done twice.'}
        </Confirm>
      ) : null}
    </>
  );
}
