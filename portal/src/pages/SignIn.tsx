/** Sign-in for people: e-mail and password; the server sets the session cookie. */
import {
  Alert,
  Button,
  Center,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ApiError, ok, setCsrfToken } from '../api/client';
import { ME_KEY } from '../auth';

export function SignInPage() {
  const qc = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await ok(api.POST('/api/v1/auth/sign-in', { body: { email, password } }));
      setCsrfToken(me.csrfToken);
      qc.setQueryData(ME_KEY, me);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'The e-mail address or the password is wrong.'
          : err instanceof ApiError && err.status === 429
            ? err.message
            : `Signing in failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main>
      <Center mih="100vh" p="md" bg="gray.0">
        <Paper
          withBorder
          shadow="sm"
          p="xl"
          w={380}
          component="form"
          onSubmit={(e) => void submit(e)}
        >
          <Stack>
            <div>
              <Text fw={800} size="xl" c="#c2410c">
                Numbat
              </Text>
              <Title order={1} size="h3">
                Sign in
              </Title>
              <Text size="sm" c="dimmed">
                Telephone-number inventory for operator staff and customer admins.
              </Text>
            </div>
            {error ? (
              <Alert color="red" variant="light" c="dark.8" role="alert">
                {error}
              </Alert>
            ) : null}
            <TextInput
              label="E-mail address"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} fullWidth>
              Sign in
            </Button>
          </Stack>
        </Paper>
      </Center>
    </main>
  );
}
