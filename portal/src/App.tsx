/** The shell: sign-in gate, navigation, and the page for the current path. */
import {
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  NavLink,
  ScrollArea,
  Text,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, type ReactNode } from 'react';
import { SessionGate, useSession } from './auth';
import { AddressesPage } from './pages/Addresses';
import { AuditPage } from './pages/Audit';
import { ConsentsPage } from './pages/Consents';
import { ImportPage } from './pages/Import';
import { JobsPage } from './pages/Jobs';
import { CustomerPage, CustomersPage } from './pages/Customers';
import { DashboardPage } from './pages/Dashboard';
import { NumberPage } from './pages/NumberDetail';
import { NumbersPage } from './pages/Numbers';
import { RangesPage } from './pages/Ranges';
import { SignInPage } from './pages/SignIn';
import { SitePage, SitesPage } from './pages/Sites';
import { SyncPage } from './pages/Sync';
import { TokensPage } from './pages/Tokens';
import { UsersPage } from './pages/Users';
import { match, navigate, useLocation } from './router';

interface NavItem {
  to: string;
  label: string;
  show: (s: ReturnType<typeof useSession>) => boolean;
}

const nav: NavItem[] = [
  { to: '/', label: 'Dashboard', show: () => true },
  { to: '/numbers', label: 'Numbers', show: () => true },
  { to: '/ranges', label: 'Ranges', show: (s) => s.isOperator },
  { to: '/sites', label: 'Sites', show: (s) => s.isOperator },
  { to: '/customers', label: 'Customers', show: (s) => s.isOperator },
  { to: '/consents', label: 'Requests for information', show: () => true },
  { to: '/addresses', label: 'Civic addresses', show: () => true },
  { to: '/import', label: 'Import', show: (s) => s.isOperator && s.can('write') },
  { to: '/jobs', label: 'Jobs', show: () => true },
  { to: '/sync', label: 'Sync differences', show: () => true },
  { to: '/audit', label: 'Audit log', show: () => true },
  { to: '/users', label: 'Users', show: (s) => s.can('admin') },
  { to: '/tokens', label: 'API tokens', show: (s) => s.can('admin') },
];

const titles: [string, string][] = [
  ['/numbers/:e164', 'Number'],
  ['/numbers', 'Numbers'],
  ['/ranges', 'Ranges'],
  ['/sites/:id', 'Site'],
  ['/sites', 'Sites'],
  ['/customers/:id', 'Customer'],
  ['/customers', 'Customers'],
  ['/audit', 'Audit log'],
  ['/consents', 'Requests for information'],
  ['/addresses', 'Civic addresses'],
  ['/import', 'Import'],
  ['/jobs', 'Jobs'],
  ['/sync', 'Sync differences'],
  ['/users', 'Users'],
  ['/tokens', 'API tokens'],
  ['/', 'Dashboard'],
];

function Page({ path }: { path: string }): ReactNode {
  let m: Record<string, string> | null;
  if ((m = match('/numbers/:e164', path))) return <NumberPage e164={m.e164!} />;
  if (match('/numbers', path)) return <NumbersPage />;
  if (match('/ranges', path)) return <RangesPage />;
  if ((m = match('/sites/:id', path))) return <SitePage id={m.id!} />;
  if (match('/sites', path)) return <SitesPage />;
  if ((m = match('/customers/:id', path))) return <CustomerPage id={m.id!} />;
  if (match('/customers', path)) return <CustomersPage />;
  if (match('/audit', path)) return <AuditPage />;
  if (match('/consents', path)) return <ConsentsPage />;
  if (match('/addresses', path)) return <AddressesPage />;
  if (match('/import', path)) return <ImportPage />;
  if (match('/jobs', path)) return <JobsPage />;
  if (match('/sync', path)) return <SyncPage />;
  if (match('/users', path)) return <UsersPage />;
  if (match('/tokens', path)) return <TokensPage />;
  if (path === '/' || path === '') return <DashboardPage />;
  return (
    <>
      <Title order={1} size="h2">
        Page not found
      </Title>
      <Text>There is no page at {path}.</Text>
    </>
  );
}

function Shell() {
  const session = useSession();
  const { path } = useLocation();
  const [opened, { toggle, close }] = useDisclosure();
  const active = (to: string) =>
    to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);

  useEffect(() => {
    const t = titles.find(([p]) => match(p, path));
    document.title = `${t?.[1] ?? 'Numbat'} · Numbat`;
    close();
  }, [path, close]);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 210, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text fw={800} size="lg" c="#c2410c">
              Numbat
            </Text>
            {session.isOperator ? (
              <Badge variant="outline" color="dark" tt="none">
                Operator
              </Badge>
            ) : (
              <Badge variant="outline" color="dark" tt="none">
                {session.me.customer?.name ?? 'Customer'}
              </Badge>
            )}
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="sm" data-testid="signed-in-as">
              {session.me.name}
            </Text>
            <Button
              size="xs"
              variant="default"
              onClick={() => {
                void session.signOut().then(() => navigate('/'));
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <ScrollArea>
          {nav
            .filter((n) => n.show(session))
            .map((n) => (
              <NavLink
                key={n.to}
                href={n.to}
                label={n.label}
                active={active(n.to)}
                // Dark text on the active background keeps 4.5:1 even under the pointer.
                c={active(n.to) ? 'dark.9' : undefined}
                fw={active(n.to) ? 600 : undefined}
                aria-current={active(n.to) ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(n.to);
                }}
              />
            ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main">
        <Page path={path} />
      </AppShell.Main>
    </AppShell>
  );
}

export function App() {
  return <SessionGate signedIn={() => <Shell />} signedOut={<SignInPage />} />;
}
