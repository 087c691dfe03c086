/**
 * "Upload numbers" for a customer (seed: Customer Leads → Upload Numbers):
 * a single number, a range, or a CSV file, counted valid / invalid before
 * anything changes. To a service through its upload endpoint, or without a
 * service allocated from the inventory through the bulk action.
 */
import {
  Alert,
  Button,
  Checkbox,
  FileInput,
  Group,
  Modal,
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
import { api, ok, type ServiceDto, type UploadAnswer } from '../api/client';
import type { paths } from '../api/schema';
import { plural } from '../api/words';
import { ActionDialog } from './ActionDialog';
import { ErrorAlert } from './common';

/** Most numbers one upload takes (ten bulk requests). */
export const UPLOAD_MAX = 10_000;

export interface Checked {
  valid: string[];
  invalid: { line: number; value: string; reason: string }[];
}

/**
 * SPEC §3.5: spaces, dashes, dots, parentheses, a leading 00 or ' are
 * tidied; what cannot be recovered exactly (Excel's 4.42079E+11, letters,
 * too few or too many digits) is refused with a reason, never guessed.
 */
export function normaliseInput(raw: string): { e164: string } | { reason: string } {
  let v = raw.trim().replace(/^'/, '');
  if (/e\+?\d+$/i.test(v)) return { reason: 'scientific notation (format the column as text)' };
  v = v.replace(/[\s\-.()]/g, '');
  if (v.startsWith('00')) v = `+${v.slice(2)}`;
  if (!v.startsWith('+')) return { reason: 'needs the country code with a leading +' };
  if (/[^+\d]/.test(v.slice(1)) || v.indexOf('+', 1) !== -1)
    return { reason: 'contains letters or symbols' };
  if (!/^\+[1-9]\d{4,14}$/.test(v)) return { reason: 'too few or too many digits for E.164' };
  return { e164: v };
}

export function checkCsv(text: string): Checked {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: Checked = { valid: [], invalid: [] };
  const seen = new Set<string>();
  const sep = (lines[0] ?? '').includes(';') ? ';' : ',';
  const header = (lines[0] ?? '')
    .split(sep)
    .map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  let col = header.findIndex((h) => h === 'number' || h === 'e164' || h === 'phone number');
  const hasHeader = col !== -1;
  if (col === -1) col = 0;
  lines.forEach((line, i) => {
    if ((hasHeader && i === 0) || line.trim() === '') return;
    const cell = (line.split(sep)[col] ?? '').trim().replace(/^"|"$/g, '');
    const r = normaliseInput(cell);
    if ('reason' in r) out.invalid.push({ line: i + 1, value: cell, reason: r.reason });
    else if (seen.has(r.e164))
      out.invalid.push({ line: i + 1, value: cell, reason: 'twice in the file' });
    else {
      seen.add(r.e164);
      out.valid.push(r.e164);
    }
  });
  return out;
}

/** Every number from `start` to `end` (same length), or the reason why not. */
export function expandRange(start: string, end: string): string[] | string {
  const a = normaliseInput(start);
  const b = normaliseInput(end);
  if ('reason' in a) return `first number: ${a.reason}`;
  if ('reason' in b) return `last number: ${b.reason}`;
  if (a.e164.length !== b.e164.length) return 'both ends must have the same number of digits (R-4)';
  const s = BigInt(a.e164.slice(1));
  const e = BigInt(b.e164.slice(1));
  if (e < s) return 'the last number is below the first';
  if (e - s + 1n > BigInt(UPLOAD_MAX))
    return `at most ${UPLOAD_MAX.toLocaleString('en-GB')} numbers at once`;
  const out: string[] = [];
  for (let x = s; x <= e; x++) out.push(`+${x.toString().padStart(a.e164.length - 1, '0')}`);
  return out;
}

const TEMPLATE = 'number\r\n+441134960000\r\n+441134960001\r\n';

export const platformWords: Record<ServiceDto['platform'], string> = {
  teamsOperatorConnect: 'Teams Operator Connect',
  teamsPhoneMobile: 'Teams Phone Mobile',
  webexCloudConnect: 'Webex Cloud Connect',
  hostedVoice: 'Hosted voice',
};

export const serviceStatusWords: Record<ServiceDto['status'], string> = {
  pendingConsent: 'Pending consent',
  pendingProvisioning: 'Pending provisioning',
  ready: 'Ready',
  removing: 'Removing',
};

type UploadBody = NonNullable<
  paths['/api/v1/customers/{id}/services/{serviceId}/numbers']['post']['requestBody']
>['content']['application/json'];

/**
 * Seed "Upload Numbers": to a service (validated by the server: valid and
 * invalid counts first, then all or nothing), or — for a customer without
 * services — allocated from the inventory through the bulk action.
 */
export function UploadNumbers({
  customer,
  services,
  serviceId: initialService,
  onClose,
}: {
  customer: { id: string; name: string };
  services: ServiceDto[];
  serviceId?: string;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const usable = services.filter((s) => s.status !== 'removing' && s.status !== 'pendingConsent');
  const [serviceId, setServiceId] = useState<string>(initialService ?? usable[0]?.id ?? 'none');
  const [mode, setMode] = useState<'single' | 'range' | 'csv'>('single');
  const [single, setSingle] = useState('');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [csvText, setCsvText] = useState<string | null>(null);
  const [checked, setChecked] = useState<Checked | null>(null);
  const [sending, setSending] = useState<string[] | null>(null);
  const [usage, setUsage] = useState<string | null>('user');
  const [sipConnection, setSipConnection] = useState('');
  const [serviceInfo, setServiceInfo] = useState('');
  const [cac, setCac] = useState('');
  const [customHeader, setCustomHeader] = useState('');
  const [activate, setActivate] = useState(true);
  const [serverCheck, setServerCheck] = useState<UploadAnswer | null>(null);
  const [uploaded, setUploaded] = useState<UploadAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'check' | 'upload' | null>(null);
  const service = services.find((s) => s.id === serviceId);
  const reset = () => {
    setServerCheck(null);
    setError(null);
  };

  let numbers: string[] = [];
  let problem: string | null = null;
  if (mode === 'single' && single.trim()) {
    const r = normaliseInput(single);
    if ('reason' in r) problem = r.reason;
    else numbers = [r.e164];
  } else if (mode === 'range' && start.trim() && end.trim()) {
    const r = expandRange(start, end);
    if (typeof r === 'string') problem = r;
    else numbers = r;
  } else if (mode === 'csv' && checked) {
    numbers = checked.valid.slice(0, UPLOAD_MAX);
    if (checked.valid.length > UPLOAD_MAX)
      problem = `at most ${UPLOAD_MAX.toLocaleString('en-GB')} numbers at once`;
  }

  async function readFile(f: File | null) {
    setFile(f);
    reset();
    const text = f ? await f.text() : null;
    setCsvText(text);
    setChecked(text ? checkCsv(text) : null);
  }

  function downloadTemplate() {
    const url = URL.createObjectURL(new Blob([TEMPLATE], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'numbers-template.csv';
    a.click();
    URL.revokeObjectURL(url);
  }

  function body(validateOnly: boolean, only?: string[]): UploadBody {
    const what: UploadBody = only
      ? { numbers: only }
      : mode === 'single'
        ? { number: single.trim() }
        : mode === 'range'
          ? { range: { start: start.trim(), end: end.trim() } }
          : { csv: csvText ?? '' };
    return {
      ...what,
      ...(usage ? { usage: usage as NonNullable<UploadBody['usage']> } : {}),
      ...(sipConnection.trim() ? { sipConnection: sipConnection.trim() } : {}),
      ...(serviceInfo.trim() ? { serviceInfo: serviceInfo.trim() } : {}),
      ...(cac.trim() && usage !== 'user' ? { cacLimit: Number(cac) } : {}),
      ...(customHeader.trim() ? { customSipHeader: customHeader.trim() } : {}),
      activate,
      validateOnly,
    };
  }

  async function toService(validateOnly: boolean) {
    if (!service) return;
    setBusy(validateOnly ? 'check' : 'upload');
    setError(null);
    try {
      // After a check with invalid rows, upload exactly the valid ones (all or nothing).
      const only =
        !validateOnly && serverCheck && serverCheck.invalid > 0 ? serverCheck.numbers : undefined;
      const r = await ok(
        api.POST('/api/v1/customers/{id}/services/{serviceId}/numbers', {
          params: { path: { id: customer.id, serviceId: service.id } },
          body: body(validateOnly, only),
        }),
      );
      if (validateOnly) setServerCheck(r);
      else {
        setUploaded(r);
        void qc.invalidateQueries({ queryKey: ['numbers'] });
        void qc.invalidateQueries({ queryKey: ['services', customer.id] });
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  if (sending) {
    return (
      <ActionDialog
        action="allocate"
        numbers={sending}
        holder={{ type: 'customer', customerId: customer.id, name: customer.name }}
        onClose={onClose}
      />
    );
  }

  const ready = mode === 'csv' ? !!csvText : numbers.length > 0 && !problem;
  return (
    <Modal opened onClose={onClose} title={`Upload numbers for ${customer.name}`} size="lg">
      {uploaded ? (
        <Stack>
          <Alert color="green" variant="light" c="dark.8" title="Uploaded" aria-live="polite">
            {plural(uploaded.numbers.length, 'number')} uploaded to{' '}
            {platformWords[uploaded.service.platform]}: {uploaded.created} new, {uploaded.allocated}{' '}
            allocated from the inventory, {uploaded.attached} already held. The service is now{' '}
            {serviceStatusWords[uploaded.service.status].toLowerCase()}.
          </Alert>
          <Group justify="flex-end">
            <Button onClick={onClose}>Close</Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          <Select
            label="Service"
            data={[
              ...usable.map((s) => ({
                value: s.id,
                label: `${platformWords[s.platform]} (${serviceStatusWords[s.status].toLowerCase()})`,
              })),
              { value: 'none', label: 'No service: allocate numbers from the inventory' },
            ]}
            value={serviceId}
            onChange={(v) => {
              setServiceId(v ?? 'none');
              reset();
            }}
            allowDeselect={false}
          />
          <Text size="sm">
            {service
              ? `Numbers are created if new, allocated to ${customer.name} and attached to the service; all or nothing. Use E.164: a +, the country code, then the number.`
              : `The numbers must be in the inventory and available; they are allocated (reserved) to ${customer.name}.`}
          </Text>
          <SegmentedControl
            aria-label="How to give the numbers"
            value={mode}
            onChange={(v) => {
              setMode(v);
              reset();
            }}
            data={[
              { value: 'single', label: 'Single number' },
              { value: 'range', label: 'Range' },
              { value: 'csv', label: 'CSV file' },
            ]}
          />
          {mode === 'single' ? (
            <TextInput
              label="Number"
              placeholder="+441134960000"
              value={single}
              onChange={(e) => {
                setSingle(e.currentTarget.value);
                reset();
              }}
              error={problem ?? undefined}
            />
          ) : null}
          {mode === 'range' ? (
            <>
              <Group grow>
                <TextInput
                  label="First number"
                  value={start}
                  onChange={(e) => {
                    setStart(e.currentTarget.value);
                    reset();
                  }}
                />
                <TextInput
                  label="Last number"
                  value={end}
                  onChange={(e) => {
                    setEnd(e.currentTarget.value);
                    reset();
                  }}
                />
              </Group>
              {problem ? (
                <Text c="red.9" size="sm" role="alert">
                  {problem}
                </Text>
              ) : numbers.length ? (
                <Text size="sm">{plural(numbers.length, 'number')}</Text>
              ) : null}
            </>
          ) : null}
          {mode === 'csv' ? (
            <>
              <Group align="flex-end">
                <FileInput
                  label="CSV file"
                  description="A column named number (or the first column)"
                  accept=".csv,text/csv"
                  value={file}
                  onChange={(f) => void readFile(f)}
                  clearable
                  style={{ flex: 1 }}
                />
                <Button variant="default" onClick={downloadTemplate}>
                  Download template
                </Button>
              </Group>
              {checked && !service ? (
                <Alert
                  color={checked.invalid.length ? 'yellow' : 'green'}
                  variant="light"
                  c="dark.8"
                  aria-live="polite"
                  data-testid="csv-counts"
                >
                  {plural(checked.valid.length, 'valid number')},{' '}
                  {plural(checked.invalid.length, 'invalid row')}.
                  {checked.invalid.length ? ' Invalid rows are left out:' : ''}
                </Alert>
              ) : null}
              {checked?.invalid.length && !service ? (
                <InvalidRows
                  rows={checked.invalid.map((r) => ({
                    where: `line ${r.line}`,
                    value: r.value,
                    why: r.reason,
                  }))}
                />
              ) : null}
            </>
          ) : null}
          {service ? (
            <>
              <Group grow>
                <Select
                  label="Number type"
                  data={[
                    { value: 'user', label: 'User' },
                    { value: 'application', label: 'Service (IVR, fax, voice app)' },
                    { value: 'contactCenter', label: 'Contact centre' },
                    { value: 'conference', label: 'Conference' },
                  ]}
                  value={usage}
                  onChange={(v) => {
                    setUsage(v);
                    reset();
                  }}
                  allowDeselect={false}
                />
                <TextInput
                  label="CAC (concurrent calls)"
                  description={
                    usage === 'user' ? 'User numbers: 2, fixed (R-33)' : 'Optional, 2 or more'
                  }
                  disabled={usage === 'user'}
                  inputMode="numeric"
                  value={usage === 'user' ? '2' : cac}
                  onChange={(e) => setCac(e.currentTarget.value)}
                />
              </Group>
              <Group grow>
                <TextInput
                  label="Customer SIP connection"
                  placeholder={service.sipConnection ?? ''}
                  value={sipConnection}
                  onChange={(e) => setSipConnection(e.currentTarget.value)}
                />
                <TextInput
                  label="Service info"
                  value={serviceInfo}
                  onChange={(e) => setServiceInfo(e.currentTarget.value)}
                  maxLength={255}
                />
              </Group>
              {service.platform !== 'teamsPhoneMobile' ? (
                <TextInput
                  label="Custom SIP header (optional)"
                  description="Letters, digits, _ and - (R-31: not on Teams Phone Mobile)"
                  value={customHeader}
                  onChange={(e) => setCustomHeader(e.currentTarget.value)}
                />
              ) : null}
              <Checkbox
                label="Activate the numbers"
                checked={activate}
                onChange={(e) => setActivate(e.currentTarget.checked)}
              />
            </>
          ) : null}
          {serverCheck ? (
            <Alert
              color={serverCheck.invalid ? 'yellow' : 'green'}
              variant="light"
              c="dark.8"
              aria-live="polite"
              data-testid="upload-check"
            >
              {plural(serverCheck.valid, 'valid number')},{' '}
              {plural(serverCheck.invalid, 'invalid number')}.
            </Alert>
          ) : null}
          {serverCheck?.errors.length ? (
            <InvalidRows
              rows={serverCheck.errors.map((e) => ({ where: e.field, value: '', why: e.message }))}
            />
          ) : null}
          <ErrorAlert error={error} title="Nothing was uploaded" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            {service ? (
              <>
                <Button
                  variant="default"
                  disabled={!ready}
                  loading={busy === 'check'}
                  onClick={() => void toService(true)}
                >
                  Check
                </Button>
                <Button
                  disabled={!ready || !serverCheck || serverCheck.valid === 0}
                  loading={busy === 'upload'}
                  onClick={() => void toService(false)}
                >
                  Upload {serverCheck ? plural(serverCheck.valid, 'number') : 'numbers'}
                </Button>
              </>
            ) : (
              <Button
                disabled={numbers.length === 0 || !!problem}
                onClick={() => setSending(numbers)}
              >
                Next: allocate {numbers.length ? plural(numbers.length, 'number') : 'numbers'}
              </Button>
            )}
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function InvalidRows({ rows }: { rows: { where: string; value: string; why: string }[] }) {
  return (
    <ScrollArea.Autosize mah={180}>
      <Table aria-label="Invalid rows">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Where</Table.Th>
            <Table.Th>Value</Table.Th>
            <Table.Th>Why</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r, i) => (
            <Table.Tr key={i}>
              <Table.Td>{r.where}</Table.Td>
              <Table.Td className="mono">{r.value}</Table.Td>
              <Table.Td>{r.why}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollArea.Autosize>
  );
}
