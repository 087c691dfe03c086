/** People who sign in (admins only): create, change rights, disable, reset password, delete. */
import {
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  PasswordInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type UserDto } from '../api/client';
import { formatDateTime } from '../api/words';
import { useSession } from '../auth';
import { ErrorAlert, PageHeader } from '../components/common';
import { useCustomers } from '../lookups';

const PERMISSIONS = ['read', 'write', 'delete', 'admin'] as const;
type Permission = (typeof PERMISSIONS)[number];

function scopeLabel(scope: string, names: Map<string, string>) {
  if (scope === 'operator') return 'Operator';
  const id = scope.slice('customer:'.length);
  return names.get(id) ?? `Customer ${id.slice(0, 8)}`;
}

export function UsersPage() {
  const session = useSession();
  const qc = useQueryClient();
  const customers = useCustomers();
  const names = new Map((customers.data ?? []).map((c) => [c.id, c.name]));
  const users = useQuery({
    queryKey: ['users'],
    queryFn: () => ok(api.GET('/api/v1/users', { params: { query: { limit: 1000 } } })),
  });
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<UserDto | null>(null);
  const [deleting, setDeleting] = useState<UserDto | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function toggleDisabled(u: UserDto) {
    setError(null);
    try {
      await ok(
        api.PATCH('/api/v1/users/{id}', {
          params: { path: { id: u.id }, header: { 'if-match': u.etag } },
          body: { disabled: !u.disabled },
        }),
      );
      await qc.invalidateQueries({ queryKey: ['users'] });
    } catch (err) {
      setError(err);
    }
  }

  return (
    <>
      <PageHeader
        title="Users"
        description={
          session.isOperator
            ? 'People who sign in to this portal, with their permissions and scope (R-1).'
            : `People of ${session.me.customer?.name ?? 'your organisation'} who sign in to this portal.`
        }
        actions={<Button onClick={() => setAdding(true)}>Add a user</Button>}
      />
      <ErrorAlert error={users.error ?? error} />
      <Table aria-label="Users" data-testid="users-table" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>E-mail</Table.Th>
            <Table.Th>Permissions</Table.Th>
            <Table.Th>Scope</Table.Th>
            <Table.Th>Last sign-in</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>
              <span style={{ position: 'absolute', left: -9999 }}>Actions</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(users.data?.items ?? []).map((u) => {
            const self = session.me.id === `user:${u.id}`;
            return (
              <Table.Tr key={u.id} data-user={u.email}>
                <Table.Td>{u.name}</Table.Td>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>{u.permissions.join(', ')}</Table.Td>
                <Table.Td>{scopeLabel(u.scope, names)}</Table.Td>
                <Table.Td>{formatDateTime(u.lastSignInAt) || 'never'}</Table.Td>
                <Table.Td>
                  <Badge variant="dot" color={u.disabled ? 'gray' : 'green'} c="dark.8" tt="none">
                    {u.disabled ? 'Disabled' : 'Active'}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button size="compact-xs" variant="default" onClick={() => setEditing(u)}>
                      Edit
                    </Button>
                    {self ? null : (
                      <>
                        <Button
                          size="compact-xs"
                          variant="default"
                          onClick={() => void toggleDisabled(u)}
                        >
                          {u.disabled ? 'Enable' : 'Disable'}
                        </Button>
                        <Button
                          size="compact-xs"
                          variant="default"
                          c="red.9"
                          onClick={() => setDeleting(u)}
                        >
                          Delete
                        </Button>
                      </>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      {adding || editing ? (
        <UserForm
          user={editing}
          onClose={() => {
            setAdding(false);
            setEditing(null);
          }}
        />
      ) : null}
      {deleting ? <DeleteUser user={deleting} onClose={() => setDeleting(null)} /> : null}
    </>
  );
}

function UserForm({ user, onClose }: { user: UserDto | null; onClose: () => void }) {
  const session = useSession();
  const qc = useQueryClient();
  const customers = useCustomers();
  const [email, setEmail] = useState(user?.email ?? '');
  const [name, setName] = useState(user?.name ?? '');
  const [password, setPassword] = useState('');
  const [perms, setPerms] = useState<Permission[]>(user?.permissions ?? ['read']);
  const [scopeType, setScopeType] = useState<'operator' | 'customer'>(
    user
      ? user.scope === 'operator'
        ? 'operator'
        : 'customer'
      : session.isOperator
        ? 'operator'
        : 'customer',
  );
  const [customerId, setCustomerId] = useState<string | null>(
    user?.scope.startsWith('customer:') ? user.scope.slice(9) : (session.me.customer?.id ?? null),
  );
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const scope = scopeType === 'operator' ? 'operator' : customerId ? `customer:${customerId}` : '';
  const ready =
    name.trim() &&
    perms.length > 0 &&
    scope &&
    (user ? true : email.trim() && password.length >= 10);

  async function save() {
    setBusy(true);
    setError(null);
    try {
      if (user) {
        await ok(
          api.PATCH('/api/v1/users/{id}', {
            params: { path: { id: user.id }, header: { 'if-match': user.etag } },
            body: {
              name: name.trim(),
              permissions: perms,
              scope,
              ...(password ? { password } : {}),
            },
          }),
        );
      } else {
        await ok(
          api.POST('/api/v1/users', {
            body: { email: email.trim(), name: name.trim(), password, permissions: perms, scope },
          }),
        );
      }
      await qc.invalidateQueries({ queryKey: ['users'] });
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened onClose={onClose} title={user ? `Edit ${user.email}` : 'Add a user'}>
      <Stack>
        {user ? null : (
          <TextInput
            label="E-mail address"
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
          />
        )}
        <TextInput
          label="Name"
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <PasswordInput
          label={user ? 'New password (leave empty to keep)' : 'Password'}
          description="At least 10 characters"
          required={!user}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          autoComplete="new-password"
        />
        <Checkbox.Group
          label="Permissions"
          description="write and delete include read; admin includes everything (R-1)"
          value={perms}
          onChange={(v) => setPerms(v)}
        >
          <Group mt={4}>
            {PERMISSIONS.map((p) => (
              <Checkbox key={p} value={p} label={p} />
            ))}
          </Group>
        </Checkbox.Group>
        {session.isOperator ? (
          <>
            <Select
              label="Scope"
              data={[
                { value: 'operator', label: 'Operator staff (sees everything)' },
                { value: 'customer', label: 'A customer (sees only that customer)' },
              ]}
              value={scopeType}
              onChange={(v) => v && setScopeType(v)}
              allowDeselect={false}
            />
            {scopeType === 'customer' ? (
              <Select
                label="Customer"
                searchable
                data={(customers.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
                value={customerId}
                onChange={setCustomerId}
              />
            ) : null}
          </>
        ) : (
          <Text size="sm">Scope: {session.me.customer?.name}</Text>
        )}
        <ErrorAlert error={error} title="Not saved" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => void save()} loading={busy} disabled={!ready}>
            {user ? 'Save' : 'Create user'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DeleteUser({ user, onClose }: { user: UserDto; onClose: () => void }) {
  const qc = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  async function run() {
    try {
      await ok(api.DELETE('/api/v1/users/{id}', { params: { path: { id: user.id } } }));
      await qc.invalidateQueries({ queryKey: ['users'] });
      onClose();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <Modal opened onClose={onClose} title={`Delete ${user.email}`}>
      <Stack>
        <Text>
          {user.name} will no longer be able to sign in; open sessions end at once. The audit log
          keeps their changes.
        </Text>
        <ErrorAlert error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red" onClick={() => void run()}>
            Delete user
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
