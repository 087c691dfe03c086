/** API tokens for the BSS/OSS (admins): create (the secret is shown once), list, revoke. */
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type TokenDto } from '../api/client';
import { formatDateTime } from '../api/words';
import { useSession } from '../auth';
import { ErrorAlert, PageHeader } from '../components/common';

const PERMISSIONS = ['read', 'write', 'delete', 'admin'] as const;

export function TokensPage() {
  const tokens = useQuery({
    queryKey: ['tokens'],
    queryFn: () => ok(api.GET('/api/v1/tokens')),
  });
  const [adding, setAdding] = useState(false);
  const [revoking, setRevoking] = useState<TokenDto | null>(null);
  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens for the BSS/OSS and scripts. A token's secret is shown only when it is created."
        actions={<Button onClick={() => setAdding(true)}>Create a token</Button>}
      />
      <ErrorAlert error={tokens.error} />
      <Table aria-label="API tokens" data-testid="tokens-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Starts with</Table.Th>
            <Table.Th>Permissions</Table.Th>
            <Table.Th>Scope</Table.Th>
            <Table.Th>Last used</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>
              <span style={{ position: 'absolute', left: -9999 }}>Actions</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(tokens.data?.items ?? []).map((t) => (
            <Table.Tr key={t.id}>
              <Table.Td>{t.name}</Table.Td>
              <Table.Td className="mono">{t.prefix}…</Table.Td>
              <Table.Td>{t.permissions.join(', ')}</Table.Td>
              <Table.Td className="mono">{t.scope}</Table.Td>
              <Table.Td>{formatDateTime(t.lastUsedAt) || 'never'}</Table.Td>
              <Table.Td>
                <Badge variant="dot" color={t.revokedAt ? 'gray' : 'green'} c="dark.8" tt="none">
                  {t.revokedAt ? 'Revoked' : 'Active'}
                </Badge>
              </Table.Td>
              <Table.Td>
                {t.revokedAt ? null : (
                  <Button
                    size="compact-xs"
                    variant="default"
                    c="red.9"
                    onClick={() => setRevoking(t)}
                  >
                    Revoke
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {adding ? <CreateToken onClose={() => setAdding(false)} /> : null}
      {revoking ? <RevokeToken token={revoking} onClose={() => setRevoking(null)} /> : null}
    </>
  );
}

function CreateToken({ onClose }: { onClose: () => void }) {
  const session = useSession();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<string[]>(['read']);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const scope = session.isOperator ? 'operator' : `customer:${session.me.customer?.id ?? ''}`;
  async function save() {
    setError(null);
    try {
      const t = await ok(
        api.POST('/api/v1/tokens', {
          body: { name: name.trim(), permissions: perms as (typeof PERMISSIONS)[number][], scope },
        }),
      );
      setSecret(t.token);
      void qc.invalidateQueries({ queryKey: ['tokens'] });
    } catch (err) {
      setError(err);
    }
  }
  return (
    <Modal opened onClose={onClose} title="Create an API token">
      {secret ? (
        <Stack>
          <Alert color="yellow" variant="light" c="dark.8" title="Copy the token now">
            It is shown only this once; Numbat keeps only a hash of it.
          </Alert>
          <Code block data-testid="token-secret">
            {secret}
          </Code>
          <Group justify="flex-end">
            <CopyButton value={secret}>
              {({ copied, copy }) => (
                <Button variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          <TextInput
            label="What is it for?"
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <Checkbox.Group label="Permissions" value={perms} onChange={setPerms}>
            <Group mt={4}>
              {PERMISSIONS.map((p) => (
                <Checkbox key={p} value={p} label={p} />
              ))}
            </Group>
          </Checkbox.Group>
          <Text size="sm">Scope: {scope}</Text>
          <ErrorAlert error={error} title="Not created" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button onClick={() => void save()} disabled={!name.trim() || perms.length === 0}>
              Create token
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function RevokeToken({ token, onClose }: { token: TokenDto; onClose: () => void }) {
  const qc = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  async function run() {
    try {
      await ok(api.DELETE('/api/v1/tokens/{id}', { params: { path: { id: token.id } } }));
      await qc.invalidateQueries({ queryKey: ['tokens'] });
      onClose();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <Modal opened onClose={onClose} title={`Revoke ${token.name}`}>
      <Stack>
        <Text>Anything using this token stops working within seconds. This cannot be undone.</Text>
        <ErrorAlert error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red" onClick={() => void run()}>
            Revoke token
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
