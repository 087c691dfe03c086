/**
 * The numbers table, shared by the inventory page, a site's telephony list
 * and a customer's numbers. Filters live in the URL; pages come from the
 * server by cursor (keyset), so page 10,000 costs what page 1 costs; the
 * total is counted in a second request that never delays the first page.
 * Select rows (checkbox, Space), then use the bulk buttons, or right-click a
 * row (or press Shift+F10 / the menu key on it) for every action.
 */
import {
  Button,
  Checkbox,
  Group,
  Menu,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import {
  createColumnHelper,
  FlexRender,
  tableFeatures,
  useTable,
  type Row,
} from '@tanstack/react-table';
import {
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
} from 'react';
import { type BulkBody, type NumberDto, type NumberQuery } from '../api/client';
import {
  actionApplies,
  actionInfo,
  actionOrder,
  formatDate,
  formatDateTime,
  plural,
  statusLabel,
  syncActionApplies,
  syncActionInfo,
  syncActionOrder,
  syncStateLabel,
  type SyncState,
} from '../api/words';
import { useSession } from '../auth';
import { byId, useAddresses, useCustomers, useRanges, useSites } from '../lookups';
import { navigate, useSearchParams } from '../router';
import { ActionDialog, type DialogAction } from './ActionDialog';
import { ErrorAlert } from './common';
import { DotsIcon, LockIcon, PendingIcon } from './icons';
import { numbersPageQuery, numbersTotalQuery, queryFromParams } from './numbersQuery';

export type TableVariant = 'inventory' | 'site' | 'customer';

const features = tableFeatures({});
const helper = createColumnHelper<typeof features, NumberDto>();
const emptyRows: NumberDto[] = [];

const statusTabs = [
  { value: 'all', label: 'All' },
  { value: 'available', label: 'Available' },
  { value: 'reserved', label: 'Reserved' },
  { value: 'active', label: 'Active' },
  { value: 'assigned', label: 'Assigned' },
  { value: 'coolingOff', label: 'Released' },
];

const PAGE_SIZES = ['25', '50', '100', '250'];

export const numberHref = (e164: string) => `/numbers/${encodeURIComponent(e164)}`;

/** The list filter without paging: what an export or a bulk job selects. */
function filterOnly(q: NumberQuery) {
  const {
    limit: _l,
    cursor: _c,
    sort: _s,
    total: _t,
    ...rest
  } = q as NumberQuery & { cursor?: string };
  return rest;
}

/** Export exactly what the table's filters select (SPEC §4 "export of the current filter"). */
function exportParams(q: NumberQuery): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filterOnly(q))) if (v !== undefined) p.set(k, String(v));
  return p.toString();
}

type Filter = NonNullable<BulkBody['filter']>;

function bulkFilter(q: NumberQuery): Filter {
  const { status, syncState, ...rest } = filterOnly(q);
  return {
    ...rest,
    ...(status ? { status: status.split(',') as NonNullable<Filter['status']> } : {}),
    ...(syncState ? { syncState: syncState.split(',') as NonNullable<Filter['syncState']> } : {}),
  };
}

/** Issue #6: tabs for the platform sync states, filtered by the server (GET /numbers?syncState=). */
const syncTabs = [
  { value: 'all', label: 'Any sync state' },
  ...(Object.keys(syncStateLabel) as SyncState[]).map((s) => ({
    value: s,
    label: syncStateLabel[s],
  })),
];

/*
 * Row cells are plain elements styled by portal.css, not Mantine components:
 * a page holds up to 250 rows and every cell renders on each selection change,
 * so they must be cheap (bench/portal.ts: first page of 1,000,000 numbers).
 */
/** A bulk-bar button: disabled when no selected number allows it, "(n)" when only some do. */
function BulkButton(props: {
  label: string;
  color: 'indigo' | 'grape';
  applies: number;
  selected: number;
  onClick: () => void;
}) {
  const { label, color, applies, selected, onClick } = props;
  return (
    <Button
      size="compact-sm"
      variant="light"
      color={color}
      c={applies === 0 ? undefined : `${color}.9`}
      disabled={applies === 0}
      onClick={onClick}
    >
      {label}
      {applies > 0 && applies < selected ? ` (${applies})` : ''}
    </Button>
  );
}

function NumberCell({ n }: { n: NumberDto }) {
  return (
    <span className="number-cell">
      <a
        href={numberHref(n.e164)}
        className="mono number-link"
        onClick={(e) => {
          if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
          e.preventDefault();
          navigate(numberHref(n.e164));
        }}
      >
        {n.e164}
      </a>
      {n.locked ? (
        <span title={`Locked: ${n.lockReason ?? 'no reason given'}`}>
          <LockIcon label={`Locked: ${n.lockReason ?? ''}`} color="#c92a2a" />
        </span>
      ) : null}
      {n.pendingOperation ? (
        <span title={`A change is in progress (${n.pendingOperation.action}); refresh later`}>
          <PendingIcon label="Change in progress" color="#1864ab" />
        </span>
      ) : null}
    </span>
  );
}

function RowStatus({ status }: { status: NumberDto['status'] }) {
  return (
    <span className="row-status" data-status={status}>
      {statusLabel[status]}
    </span>
  );
}

/*
 * Body rows are plain <tr>/<td> with Mantine's table classes rather than
 * Table.Tr/Table.Td: 1,100 Mantine boxes (style props, class resolution) were
 * most of the first page's render (issue #6 profile). A row is memoised: it
 * renders again only when its number, the columns (names arrived, selection
 * changed) or its own selection change, not when the total arrives.
 */
const rowClass = `${Table.classes.tr ?? ''} mantine-Table-tr`;
const cellClass = `${Table.classes.td ?? ''} mantine-Table-td`;

interface RowHandlers {
  onContextMenu: (e: MouseEvent<HTMLTableRowElement>, row: NumberDto) => void;
  onKeyDown: (e: KeyboardEvent<HTMLTableRowElement>, row: NumberDto) => void;
}

const NumberRow = memo(
  function NumberRow({
    row,
    selected,
    handlers,
  }: {
    row: Row<typeof features, NumberDto>;
    /** The columns the row was built with: a new set renders the row again. */
    columns: unknown;
    selected: boolean;
    handlers: RowHandlers;
  }) {
    const n = row.original;
    return (
      <tr
        className={rowClass}
        data-with-row-border
        data-hover
        tabIndex={0}
        data-number={n.e164}
        data-selected={selected || undefined}
        onContextMenu={(e) => handlers.onContextMenu(e, n)}
        onKeyDown={(e) => handlers.onKeyDown(e, n)}
      >
        {row.getAllCells().map((cell) => (
          <td key={cell.id} className={cellClass}>
            <FlexRender cell={cell} />
          </td>
        ))}
      </tr>
    );
  },
  (a, b) =>
    a.row.original === b.row.original &&
    a.columns === b.columns &&
    a.selected === b.selected &&
    a.handlers === b.handlers,
);

/**
 * True from the first frame painted after `ready` (issue #6): the total and the
 * range names (both counts over up to millions of rows) are asked for only then,
 * so neither their database work nor their re-render sits between the first
 * page's answer and its rows on screen. A hidden tab paints no frames: the
 * timer asks anyway after a second.
 */
function usePaintedAfter(ready: boolean): boolean {
  const [painted, setPainted] = useState(false);
  useEffect(() => {
    if (!ready || painted) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setPainted(true), 0);
    });
    const fallback = setTimeout(() => setPainted(true), 1000);
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
      clearTimeout(fallback);
    };
  }, [ready, painted]);
  return painted;
}

interface MenuState {
  x: number;
  y: number;
  rows: NumberDto[];
}

export function NumbersTable({
  variant,
  fixed = {},
  extraActions,
}: {
  variant: TableVariant;
  fixed?: Partial<NumberQuery>;
  extraActions?: ReactNode;
}) {
  const session = useSession();
  const canWrite = session.can('write');
  const [sp, setSp] = useSearchParams();
  const view = sp.get('view') === 'emergency' ? 'emergency' : 'numbers';
  const query = useMemo(() => queryFromParams(sp, fixed), [sp, fixed]);
  const key = JSON.stringify(query);

  // Cursor stack: going back pops, going forward pushes; a new filter starts over.
  const [pager, setPager] = useState<{ key: string; stack: (string | undefined)[] }>({
    key,
    stack: [undefined],
  });
  const stack = pager.key === key ? pager.stack : [undefined];
  const cursor = stack[stack.length - 1];

  const page = useQuery({
    ...numbersPageQuery(query, cursor),
    placeholderData: keepPreviousData,
  });
  // Counting millions of rows must not compete with the first page: ask after it is on screen.
  const firstPageShown = usePaintedAfter(page.isSuccess);
  const total = useQuery({ ...numbersTotalQuery(query), enabled: firstPageShown });

  const customers = useCustomers();
  const sites = useSites();
  // Range names come with utilisation counts (costly at scale): also after the first page.
  const ranges = useRanges(session.isOperator && firstPageShown);
  const customerMap = useMemo(() => byId(customers.data), [customers.data]);
  const siteMap = useMemo(() => byId(sites.data), [sites.data]);
  const rangeMap = useMemo(() => byId(ranges.data), [ranges.data]);
  const addresses = useAddresses(view === 'emergency');
  const addressMap = useMemo(() => byId(addresses.data), [addresses.data]);

  const [selected, setSelected] = useState<Map<string, NumberDto>>(new Map());
  const [dialog, setDialog] = useState<{
    action: DialogAction;
    numbers: string[];
    byFilter?: boolean;
  } | null>(null);
  const [menu, setMenu] = useState<MenuState | null>(null);
  const lastFocused = useRef<HTMLElement | null>(null);

  const rows = page.data?.items ?? emptyRows;
  const allowed = actionOrder.filter((a) => session.isOperator || !actionInfo[a].operatorOnly);
  // SPEC §3.3: approving a removal or reactivating is the operator's decision.
  const syncAllowed = session.isOperator ? syncActionOrder : [];

  const holderName = (n: NumberDto) =>
    !n.holder
      ? ''
      : n.holder.type === 'operator'
        ? 'Operator'
        : (customerMap.get(n.holder.customerId)?.name ?? 'Customer');

  const toggle = (n: NumberDto) =>
    setSelected((prev) => {
      const next = new Map(prev);
      if (next.has(n.e164)) next.delete(n.e164);
      else next.set(n.e164, n);
      return next;
    });
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.e164));
  const someOnPage = rows.some((r) => selected.has(r.e164));
  const togglePage = () =>
    setSelected((prev) => {
      const next = new Map(prev);
      if (allOnPage) for (const r of rows) next.delete(r.e164);
      else for (const r of rows) next.set(r.e164, r);
      return next;
    });

  const columns = useMemo(() => {
    const select = helper.display({
      id: 'select',
      header: () => (
        <Checkbox
          aria-label="Select all numbers on this page"
          checked={allOnPage}
          indeterminate={!allOnPage && someOnPage}
          onChange={togglePage}
        />
      ),
      cell: ({ row }) => (
        <input
          type="checkbox"
          className="row-check"
          aria-label={`Select ${row.original.e164}`}
          checked={selected.has(row.original.e164)}
          onChange={() => toggle(row.original)}
          onClick={(e) => e.stopPropagation()}
        />
      ),
    });
    const number = helper.accessor('e164', {
      header: 'Number',
      cell: ({ row }) => <NumberCell n={row.original} />,
    });
    const status = helper.accessor('status', {
      header: 'Status',
      cell: ({ row }) => <RowStatus status={row.original.status} />,
    });
    const holder = helper.display({
      id: 'holder',
      header: variant === 'site' ? 'Allocated to' : 'Holder',
      cell: ({ row }) => holderName(row.original),
    });
    const site = helper.display({
      id: 'site',
      header: 'Site',
      cell: ({ row }) =>
        row.original.siteId ? (siteMap.get(row.original.siteId)?.name ?? '') : '',
    });
    const range = helper.display({
      id: 'range',
      header: variant === 'site' ? 'Range name' : 'Range',
      cell: ({ row }) =>
        row.original.rangeId ? (rangeMap.get(row.original.rangeId)?.name ?? '') : '',
    });
    const ext = helper.accessor('extension', { header: 'Ext', cell: (i) => i.getValue() ?? '' });
    const usage = helper.accessor('usage', { header: 'Usage', cell: (i) => i.getValue() ?? '' });
    const assignment = helper.display({
      id: 'assignment',
      header: 'Assignment',
      cell: ({ row }) => {
        const a = row.original.assignment;
        return a ? `${a.type}: ${a.targetName ?? a.targetId}` : '';
      },
    });
    const cooling = helper.accessor('coolingOffUntil', {
      header: 'Cooling off until',
      cell: (i) => formatDate(i.getValue()),
    });
    const main = helper.accessor('mainNumber', {
      header: 'Main number',
      cell: (i) => (i.getValue() ? <span className="row-main">Main number</span> : ''),
    });
    const updated = helper.accessor('updatedAt', {
      header: 'Updated',
      cell: (i) => formatDateTime(i.getValue()),
    });
    const civic = helper.display({
      id: 'civic',
      header: 'Civic address',
      cell: ({ row }) => {
        const a = addressMap.get(row.original.emergency.civicAddressId ?? '');
        return a
          ? [a.description ?? a.companyName, a.city].filter(Boolean).join(', ')
          : (row.original.emergency.civicAddressId ?? '—');
      },
    });
    const location = helper.display({
      id: 'location',
      header: 'Location',
      cell: ({ row }) => {
        const e = row.original.emergency;
        const l = addressMap
          .get(e.civicAddressId ?? '')
          ?.locations.find((x) => x.id === e.locationId);
        return l
          ? `${l.description ?? ''}${l.elin ? ` (ELIN ${l.elin})` : ''}`
          : (e.locationId ?? '—');
      },
    });
    const mayUpdate = helper.display({
      id: 'mayUpdate',
      header: 'Customer may update',
      cell: ({ row }) => (row.original.emergency.customerMayUpdate ? 'Yes' : 'No'),
    });
    const actions = helper.display({
      id: 'actions',
      header: () => <VisuallyHidden>Actions</VisuallyHidden>,
      cell: ({ row }) => (
        <button
          type="button"
          className="row-actions"
          aria-label={`Actions for ${row.original.e164}`}
          onClick={(e: MouseEvent<HTMLButtonElement>) => {
            e.stopPropagation();
            const r = e.currentTarget.getBoundingClientRect();
            lastFocused.current = e.currentTarget;
            openMenu(r.left, r.bottom, row.original);
          }}
        >
          <DotsIcon />
        </button>
      ),
    });
    const withSelect = canWrite ? [select] : [];
    if (view === 'emergency')
      return helper.columns([
        ...withSelect,
        number,
        status,
        holder,
        civic,
        location,
        mayUpdate,
        usage,
        actions,
      ]);
    if (variant === 'site')
      return helper.columns([
        ...withSelect,
        number,
        ext,
        status,
        holder,
        cooling,
        main,
        range,
        actions,
      ]);
    if (variant === 'customer')
      return helper.columns([
        ...withSelect,
        number,
        status,
        site,
        ext,
        usage,
        assignment,
        main,
        updated,
        actions,
      ]);
    return helper.columns([
      ...withSelect,
      number,
      status,
      holder,
      site,
      range,
      ext,
      assignment,
      main,
      cooling,
      actions,
    ]);
    // The cells read selection and names: rebuild when they change.
  }, [selected, rows, customerMap, siteMap, rangeMap, addressMap, variant, view, canWrite]);

  const table = useTable({
    features,
    columns,
    data: rows,
    getRowId: (r) => r.e164,
  });

  function openMenu(x: number, y: number, row: NumberDto) {
    const rowsForMenu = selected.has(row.e164) ? [...selected.values()] : [row];
    setMenu({ x, y, rows: rowsForMenu });
  }

  const onRowContextMenu = (e: MouseEvent<HTMLTableRowElement>, row: NumberDto) => {
    e.preventDefault();
    lastFocused.current = e.currentTarget;
    openMenu(e.clientX, e.clientY, row);
  };

  const onRowKeyDown = (e: KeyboardEvent<HTMLTableRowElement>, row: NumberDto) => {
    if (e.target !== e.currentTarget) return;
    if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      e.preventDefault();
      const r = e.currentTarget.getBoundingClientRect();
      lastFocused.current = e.currentTarget;
      // After this key event has finished: opening inside it lets the menu's
      // own outside-interaction handling see the same event and close again.
      setTimeout(() => openMenu(r.left + 24, r.bottom, row), 0);
    } else if (e.key === ' ' && canWrite) {
      e.preventDefault();
      toggle(row);
    } else if (e.key === 'Enter') {
      navigate(numberHref(row.e164));
    }
  };

  // Stable for the memoised rows; always calls the current handlers.
  const current = useRef<RowHandlers>({ onContextMenu: onRowContextMenu, onKeyDown: onRowKeyDown });
  useLayoutEffect(() => {
    current.current = { onContextMenu: onRowContextMenu, onKeyDown: onRowKeyDown };
  });
  const onContextMenuStable = useCallback<RowHandlers['onContextMenu']>(
    (e, row) => current.current.onContextMenu(e, row),
    [],
  );
  const onKeyDownStable = useCallback<RowHandlers['onKeyDown']>(
    (e, row) => current.current.onKeyDown(e, row),
    [],
  );
  const rowHandlers = useMemo<RowHandlers>(
    () => ({ onContextMenu: onContextMenuStable, onKeyDown: onKeyDownStable }),
    [onContextMenuStable, onKeyDownStable],
  );

  // Drop the selection when the filter changes: acting on invisible numbers surprises people.
  const lastKey = useRef(key);
  useEffect(() => {
    if (lastKey.current !== key) {
      lastKey.current = key;
      setSelected(new Map());
    }
  }, [key]);

  const [search, setSearch] = useState(sp.get('q') ?? '');
  const [debounced] = useDebouncedValue(search, 300);
  useEffect(() => {
    if ((sp.get('q') ?? '') !== debounced) setSp({ q: debounced.replace(/[^\d]/g, '') || null });
  }, [debounced, sp, setSp]);

  const selectedRows = [...selected.values()];
  const first = (stack.length - 1) * (query.limit ?? 100);
  const shownFrom = rows.length ? first + 1 : 0;
  const shownTo = first + rows.length;

  const filters = (
    <Group gap="sm" align="flex-end" wrap="wrap">
      <TextInput
        label="Search"
        placeholder="Digits anywhere in the number"
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        w={220}
        inputMode="numeric"
      />
      {variant !== 'customer' && session.isOperator ? (
        <Select
          label={variant === 'site' ? 'Allocation' : 'Holder'}
          data={[
            { value: 'any', label: 'Any' },
            { value: 'operator', label: 'Operator' },
            { value: 'customer', label: 'Customers' },
            { value: 'none', label: 'Unallocated' },
          ]}
          value={sp.get('holder') ?? 'any'}
          onChange={(v) => setSp({ holder: v === 'any' ? null : v })}
          allowDeselect={false}
          w={150}
        />
      ) : null}
      {variant === 'inventory' && session.isOperator ? (
        <>
          <Select
            label="Customer"
            placeholder="Any customer"
            searchable
            clearable
            data={(customers.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
            value={sp.get('customerId')}
            onChange={(v) => setSp({ customerId: v })}
            w={200}
          />
          <Select
            label="Site"
            placeholder="Any site"
            searchable
            clearable
            data={(sites.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
            value={sp.get('siteId')}
            onChange={(v) => setSp({ siteId: v })}
            w={180}
          />
          <Select
            label="Range"
            placeholder="Any range"
            searchable
            clearable
            data={(ranges.data ?? []).map((r) => ({ value: r.id, label: r.name }))}
            value={sp.get('rangeId')}
            onChange={(v) => setSp({ rangeId: v })}
            w={180}
          />
        </>
      ) : null}
      {variant === 'inventory' ? (
        <Select
          label="Usage"
          placeholder="Any usage"
          clearable
          data={[
            { value: 'user', label: 'User' },
            { value: 'application', label: 'Application (IVR)' },
            { value: 'conference', label: 'Conference' },
            { value: 'contactCenter', label: 'Contact centre' },
          ]}
          value={sp.get('usage')}
          onChange={(v) => setSp({ usage: v })}
          w={170}
        />
      ) : null}
      <Checkbox
        label="Main numbers only"
        checked={sp.get('main') === 'true'}
        onChange={(e) => setSp({ main: e.currentTarget.checked ? 'true' : null })}
        mb={8}
      />
      {session.isOperator ? (
        <Checkbox
          label="Locked only"
          checked={sp.get('locked') === 'true'}
          onChange={(e) => setSp({ locked: e.currentTarget.checked ? 'true' : null })}
          mb={8}
        />
      ) : null}
    </Group>
  );

  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap">
        <SegmentedControl
          aria-label="Status"
          data={
            variant === 'inventory'
              ? [...statusTabs, { value: 'emergency', label: 'Emergency addresses' }]
              : statusTabs
          }
          value={view === 'emergency' ? 'emergency' : (sp.get('status') ?? 'all')}
          onChange={(v) =>
            v === 'emergency'
              ? setSp({ view: 'emergency', status: null })
              : setSp({ view: null, status: v === 'all' ? null : v })
          }
        />
        {variant !== 'site' && view !== 'emergency' ? (
          <SegmentedControl
            aria-label="Sync state"
            data={syncTabs}
            value={sp.get('syncState') ?? 'all'}
            onChange={(v) => setSp({ syncState: v === 'all' ? null : v })}
          />
        ) : null}
        <Group gap="xs">
          {extraActions}
          <Button
            component="a"
            href={`/api/v1/exports/numbers.csv?${exportParams(query)}`}
            download
            variant="default"
            size="xs"
          >
            Export CSV
          </Button>
        </Group>
      </Group>
      {filters}
      {canWrite ? (
        <Paper withBorder p="xs" aria-label="Bulk actions" component="section">
          {selectedRows.length === 0 ? (
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                Select numbers to act on them, or right-click a number.
              </Text>
              {session.isOperator ? (
                <Menu position="bottom-end" withinPortal>
                  <Menu.Target>
                    <Button size="compact-sm" variant="default">
                      Act on all matching…
                    </Button>
                  </Menu.Target>
                  <Menu.Dropdown>
                    <Menu.Label>
                      Every number the filter selects
                      {total.data != null ? ` (${total.data.toLocaleString('en-GB')})` : ''}
                    </Menu.Label>
                    {allowed.map((a) => (
                      <Menu.Item
                        key={a}
                        onClick={() => setDialog({ action: a, numbers: [], byFilter: true })}
                      >
                        {actionInfo[a].label}
                      </Menu.Item>
                    ))}
                  </Menu.Dropdown>
                </Menu>
              ) : null}
            </Group>
          ) : (
            <Group gap="xs" wrap="wrap">
              <Text size="sm" fw={600} aria-live="polite">
                {plural(selectedRows.length, 'number')} selected
              </Text>
              <Button size="compact-sm" variant="subtle" onClick={() => setSelected(new Map())}>
                Clear selection
              </Button>
              {allowed.map((a) => (
                <BulkButton
                  key={a}
                  label={actionInfo[a].label.replace('…', '')}
                  color="indigo"
                  applies={selectedRows.filter((r) => actionApplies(a, r)).length}
                  selected={selectedRows.length}
                  onClick={() => setDialog({ action: a, numbers: selectedRows.map((r) => r.e164) })}
                />
              ))}
              {syncAllowed.map((a) => (
                <BulkButton
                  key={a}
                  label={syncActionInfo[a].label}
                  color="grape"
                  applies={selectedRows.filter((r) => syncActionApplies(a, r)).length}
                  selected={selectedRows.length}
                  onClick={() => setDialog({ action: a, numbers: selectedRows.map((r) => r.e164) })}
                />
              ))}
            </Group>
          )}
        </Paper>
      ) : null}
      <ErrorAlert error={page.error} title="The numbers could not be loaded" />
      <Table.ScrollContainer minWidth={800}>
        <Table
          className="numbers-table"
          highlightOnHover
          verticalSpacing={6}
          aria-label="Numbers"
          aria-busy={page.isFetching}
          data-testid="numbers-table"
        >
          <Table.Thead>
            {table.getHeaderGroups().map((g) => (
              <Table.Tr key={g.id}>
                {g.headers.map((h) => (
                  <Table.Th key={h.id} scope="col">
                    {h.isPlaceholder ? null : <table.FlexRender header={h} />}
                  </Table.Th>
                ))}
              </Table.Tr>
            ))}
          </Table.Thead>
          <Table.Tbody>
            {table.getRowModel().rows.map((row) => (
              <NumberRow
                key={row.id}
                row={row}
                columns={columns}
                selected={selected.has(row.original.e164)}
                handlers={rowHandlers}
              />
            ))}
            {!page.isPending && rows.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={columns.length}>
                  <Text c="dimmed" py="md" ta="center">
                    No number matches these filters.
                  </Text>
                </Table.Td>
              </Table.Tr>
            ) : null}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group justify="space-between">
        <Text size="sm" c="dimmed" aria-live="polite" data-testid="page-range">
          {page.isPending
            ? 'Loading…'
            : `${shownFrom.toLocaleString('en-GB')}–${shownTo.toLocaleString('en-GB')}` +
              (total.data != null ? ` of ${total.data.toLocaleString('en-GB')}` : '')}
        </Text>
        <Group gap="xs">
          <Select
            aria-label="Rows per page"
            data={PAGE_SIZES}
            value={String(query.limit ?? 100)}
            onChange={(v) => setSp({ limit: v === '100' ? null : v })}
            allowDeselect={false}
            w={80}
            size="xs"
          />
          <Button
            size="xs"
            variant="default"
            disabled={stack.length <= 1}
            onClick={() => setPager({ key, stack: stack.slice(0, -1) })}
          >
            Previous page
          </Button>
          <Text size="sm">Page {stack.length.toLocaleString('en-GB')}</Text>
          <Button
            size="xs"
            variant="default"
            disabled={!page.data?.nextCursor}
            onClick={() => setPager({ key, stack: [...stack, page.data!.nextCursor!] })}
          >
            Next page
          </Button>
          <Tooltip label={query.sort === '-e164' ? 'Highest number first' : 'Lowest number first'}>
            <Button
              size="xs"
              variant="default"
              onClick={() => setSp({ sort: query.sort === '-e164' ? null : '-e164' })}
            >
              Sort {query.sort === '-e164' ? '↓' : '↑'}
            </Button>
          </Tooltip>
        </Group>
      </Group>

      <Menu
        opened={menu !== null}
        onChange={(o) => {
          if (!o) {
            setMenu(null);
            lastFocused.current?.focus();
          }
        }}
        position="bottom-start"
        returnFocus={false}
        withInitialFocusPlaceholder={false}
        withinPortal
        shadow="md"
        width={260}
      >
        <Menu.Target>
          <button
            type="button"
            tabIndex={-1}
            aria-label="Number actions"
            style={{
              position: 'fixed',
              left: menu?.x ?? 0,
              top: menu?.y ?? 0,
              width: 1,
              height: 1,
              opacity: 0,
              pointerEvents: 'none',
              border: 0,
              padding: 0,
            }}
          />
        </Menu.Target>
        <Menu.Dropdown data-testid="row-menu">
          {menu ? (
            <>
              <Menu.Label>
                {menu.rows.length === 1
                  ? menu.rows[0]!.e164
                  : `${menu.rows.length} selected numbers`}
              </Menu.Label>
              {menu.rows.length === 1 ? (
                <Menu.Item onClick={() => navigate(numberHref(menu.rows[0]!.e164))}>
                  Open details and history
                </Menu.Item>
              ) : null}
              {canWrite ? <Menu.Divider /> : null}
              {canWrite
                ? allowed.map((a) => {
                    const n = menu.rows.filter((r) => actionApplies(a, r)).length;
                    return (
                      <Menu.Item
                        key={a}
                        disabled={n === 0}
                        onClick={() =>
                          setDialog({ action: a, numbers: menu.rows.map((r) => r.e164) })
                        }
                      >
                        {actionInfo[a].label}
                      </Menu.Item>
                    );
                  })
                : null}
              {canWrite && syncAllowed.length ? (
                <>
                  <Menu.Divider />
                  <Menu.Label>Platform sync</Menu.Label>
                  {syncAllowed.map((a) => {
                    const n = menu.rows.filter((r) => syncActionApplies(a, r)).length;
                    return (
                      <Menu.Item
                        key={a}
                        disabled={n === 0}
                        onClick={() =>
                          setDialog({ action: a, numbers: menu.rows.map((r) => r.e164) })
                        }
                      >
                        {syncActionInfo[a].label}
                      </Menu.Item>
                    );
                  })}
                </>
              ) : null}
            </>
          ) : null}
        </Menu.Dropdown>
      </Menu>

      {dialog ? (
        <ActionDialog
          action={dialog.action}
          numbers={dialog.numbers}
          filter={
            dialog.byFilter ? { query: bulkFilter(query), count: total.data ?? null } : undefined
          }
          onClose={() => setDialog(null)}
          onDone={({ results }) => {
            // Keep selected only what was refused: the person may want to fix and retry those.
            const failed = new Set(results.filter((r) => !r.ok).map((r) => r.e164));
            setSelected((prev) => new Map([...prev].filter(([k]) => failed.has(k))));
          }}
        />
      ) : null}
    </Stack>
  );
}
