/**
 * Import numbers from CSV (SPEC §4): check the file first (valid and invalid
 * rows, each refused row with its line and reason), then commit every valid
 * row in one transaction. Large files run as a job with live progress.
 */
import {
  Alert,
  Anchor,
  Button,
  FileInput,
  Group,
  ScrollArea,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  api,
  ApiError,
  csrfHeaders,
  ok,
  type ImportReport,
  type JobDto,
  type Problem,
} from '../api/client';
import { plural } from '../api/words';
import { ErrorAlert, PageHeader } from '../components/common';
import { Link } from '../router';
import { JobProgress, JobStatus } from './Jobs';

type Answer = { report: ImportReport } | { job: JobDto };

async function send(file: File, phase: 'validate' | 'commit', country: string): Promise<Answer> {
  const q = new URLSearchParams({ phase });
  if (country) q.set('defaultCountry', country);
  const res = await fetch(`/api/v1/imports?${q.toString()}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'text/csv', ...csrfHeaders() },
    body: file,
  });
  const body = (await res.json()) as unknown;
  if (!res.ok) throw new ApiError(res.status, body as Problem);
  return res.status === 202 ? { job: body as JobDto } : { report: body as ImportReport };
}

function Report({ report }: { report: ImportReport }) {
  return (
    <Stack gap="xs">
      <Alert
        color={report.invalid ? 'yellow' : 'green'}
        variant="light"
        c="dark.8"
        data-testid="import-counts"
        aria-live="polite"
      >
        {plural(report.rows, 'row')}: {plural(report.valid, 'valid row')},{' '}
        {plural(report.invalid, 'invalid row')}.
        {report.committed
          ? ` ${plural(report.imported, 'number')} imported.`
          : report.alreadyImported
            ? ' This file was imported before; nothing changed (R-50).'
            : ''}
      </Alert>
      {report.invalidRows.length ? (
        <ScrollArea.Autosize mah={300}>
          <Table aria-label="Invalid rows" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Line</Table.Th>
                <Table.Th>Number</Table.Th>
                <Table.Th>Why</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {report.invalidRows.map((r) => (
                <Table.Tr key={`${r.line}-${r.code}`}>
                  <Table.Td>{r.line}</Table.Td>
                  <Table.Td className="mono">{r.number}</Table.Td>
                  <Table.Td>{r.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea.Autosize>
      ) : null}
      {report.invalidRowsTruncated ? (
        <Anchor href={`/api/v1/jobs/${report.jobId}/errors.csv`} size="sm" download>
          All invalid rows (CSV)
        </Anchor>
      ) : null}
    </Stack>
  );
}

function LiveJob({ id }: { id: string }) {
  const job = useQuery({
    queryKey: ['job', id],
    queryFn: () => ok(api.GET('/api/v1/jobs/{id}', { params: { path: { id } } })),
    refetchInterval: (q) =>
      q.state.data && (q.state.data.status === 'queued' || q.state.data.status === 'running')
        ? 1000
        : false,
  });
  if (!job.data) return null;
  return (
    <Alert color="blue" variant="light" c="dark.8" title="Running as a job">
      <Group gap="sm" mb="xs">
        <JobStatus job={job.data} />
        <Link to="/jobs">All jobs</Link>
      </Group>
      <JobProgress job={job.data} />
    </Alert>
  );
}

export function ImportPage() {
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [country, setCountry] = useState('');
  const [checked, setChecked] = useState<Answer | null>(null);
  const [committed, setCommitted] = useState<Answer | null>(null);
  const [busy, setBusy] = useState<'validate' | 'commit' | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function run(phase: 'validate' | 'commit') {
    if (!file) return;
    setBusy(phase);
    setError(null);
    try {
      const a = await send(file, phase, country.trim().toUpperCase());
      if (phase === 'validate') setChecked(a);
      else {
        setCommitted(a);
        void qc.invalidateQueries({ queryKey: ['numbers'] });
        void qc.invalidateQueries({ queryKey: ['ranges'] });
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  const checkedReport = checked && 'report' in checked ? checked.report : null;
  return (
    <>
      <PageHeader
        title="Import numbers"
        description="Add or update numbers from a CSV file: check it first, then import every valid row at once (all or nothing)."
      />
      <Stack maw={900}>
        <Text size="sm">
          UTF-8, comma or semicolon, any column order; the header names are in the{' '}
          <Anchor href="/api/v1/imports/template.csv" download>
            import template
          </Anchor>
          . Files of 10,000 rows or more run as a job.
        </Text>
        <Group align="flex-end">
          <FileInput
            label="CSV file"
            accept=".csv,text/csv"
            value={file}
            onChange={(f) => {
              setFile(f);
              setChecked(null);
              setCommitted(null);
            }}
            clearable
            w={360}
          />
          <TextInput
            label="Default country (optional)"
            description="For numbers written without +"
            maxLength={2}
            value={country}
            onChange={(e) => setCountry(e.currentTarget.value)}
            w={260}
          />
          <Button
            onClick={() => void run('validate')}
            disabled={!file}
            loading={busy === 'validate'}
          >
            Check the file
          </Button>
        </Group>
        <ErrorAlert error={error} title="The file was not imported" />
        {checkedReport ? <Report report={checkedReport} /> : null}
        {checked && 'job' in checked ? <LiveJob id={checked.job.id} /> : null}
        {checkedReport && !committed ? (
          <Group>
            <Button
              onClick={() => void run('commit')}
              disabled={checkedReport.valid === 0}
              loading={busy === 'commit'}
            >
              Import {plural(checkedReport.valid, 'valid row')}
            </Button>
            {checkedReport.invalid ? (
              <Text size="sm" c="dimmed">
                The invalid rows are left out; fix them and import the file again later.
              </Text>
            ) : null}
          </Group>
        ) : null}
        {committed && 'report' in committed ? <Report report={committed.report} /> : null}
        {committed && 'job' in committed ? <LiveJob id={committed.job.id} /> : null}
      </Stack>
    </>
  );
}
