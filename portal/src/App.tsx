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
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { SessionGate, useSession } from './auth';
// Jobs is in the main bundle anyway: the numbers page's action dialog shows job progress.
import { JobsPage } from './pages/Jobs';
import { NumbersPage } from './pages/Numbers';
import { SignInPage } from './pages/SignIn';
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

/**
 * The numbers page (the daily one, and the bench's), sign-in and jobs ship in
 * the main bundle; every other page is its own chunk, fetched on first visit, so
 * the first screen parses half the JavaScript.
 */
const AddressesPage = lazy(() =>
  import('./pages/Addresses').then((m) => ({ default: m.AddressesPage })),
);
const AuditPage = lazy(() => import('./pages/Audit').then((m) => ({ default: m.AuditPage })));
const ConsentsPage = lazy(() =>
  import('./pages/Consents').then((m) => ({ default: m.ConsentsPage })),
);
const ImportPage = lazy(() => import('./pages/Import').then((m) => ({ default: m.ImportPage })));
const CustomerPage = lazy(() =>
  import('./pages/Customers').then((m) => ({ default: m.CustomerPage })),
);
const CustomersPage = lazy(() =>
  import('./pages/Customers').then((m) => ({ default: m.CustomersPage })),
);
const DashboardPage = lazy(() =>
  import('./pages/Dashboard').then((m) => ({ default: m.DashboardPage })),
);
const NumberPage = lazy(() =>
  import('./pages/NumberDetail').then((m) => ({ default: m.NumberPage })),
);
const RangesPage = lazy(() => import('./pages/Ranges').then((m) => ({ default: m.RangesPage })));
const SitePage = lazy(() => import('./pages/Sites').then((m) => ({ default: m.SitePage })));
const SitesPage = lazy(() => import('./pages/Sites').then((m) => ({ default: m.SitesPage })));
const SyncPage = lazy(() => import('./pages/Sync').then((m) => ({ default: m.SyncPage })));
const TokensPage = lazy(() => import('./pages/Tokens').then((m) => ({ default: m.TokensPage })));
const UsersPage = lazy(() => import('./pages/Users').then((m) => ({ default: m.UsersPage })));

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
        <Suspense fallback={<Text c="dimmed">Loading…</Text>}>
          <Page path={path} />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}

export function App() {
  return <SessionGate signedIn={() => <Shell />} signedOut={<SignInPage />} />;
}
