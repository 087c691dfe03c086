/**
 * Refusals in plain words (issue 6: "reports per-number failures in plain
 * words"). The server's message is precise but technical; operators read
 * these. Unknown codes fall back to the server's message.
 */
import type { ActionName, NumberDto, Status } from './client';

const reasons: Record<string, string> = {
  INVALID_NUMBER: 'is not a valid phone number',
  COUNTRY_MISMATCH: "does not carry the site's country code",
  COOLING_OFF: 'is cooling off after its release and cannot be allocated yet',
  NUMBER_LOCKED: 'is locked; unlock it first',
  HOLDER_NOT_ACTIVE: 'belongs to a customer that is suspended or closed',
  PENDING_OPERATION: 'has a change in progress; wait until it finishes',
  NUMBER_IN_USE: 'is in use (active or assigned); deactivate it first',
  NO_HOLDER: 'is not allocated to anyone; allocate it first',
  NUMBER_ASSIGNED: 'is assigned to a user; unassign it first',
  NOT_AVAILABLE: 'is not available',
  NOT_RESERVED: 'is not reserved (allocated but not yet active)',
  NOT_ACTIVE: 'is not active',
  NOT_ASSIGNED: 'is not assigned to anyone',
  MAIN_NUMBER_STATE: 'main-number changes are possible only while available or reserved',
  MAIN_NUMBER_EXISTS: 'its holder already has a main number at this site',
  MAIN_NUMBER_USAGE: 'IVR and hunt-group numbers cannot be main numbers',
  MAIN_NUMBER_NO_SITE: 'has no site, and a main number belongs to a site',
  LOCK_REASON_REQUIRED: 'a lock needs a reason',
  ALREADY_LOCKED: 'is locked already',
  NOT_LOCKED: 'is not locked',
  ALREADY_MAIN: 'is a main number already',
  NOT_MAIN: 'is not a main number',
  NOT_FOUND: 'is not in the inventory (or not yours to see)',
  FORBIDDEN: 'you are not allowed to do this',
  CONFLICT: 'conflicts with its current state',
  SYNC_STATE: 'is not in a platform sync state that allows this',
};

/** "is locked; unlock it first (R-11)" — the reason a number was refused. */
export function plainReason(code: string | undefined, message: string | undefined, rule?: string) {
  const base = (code && reasons[code]) ?? message ?? 'was refused';
  return rule ? `${base} (${rule})` : base;
}

export const statusLabel: Record<Status, string> = {
  available: 'Available',
  coolingOff: 'Cooling off',
  reserved: 'Reserved',
  active: 'Active',
  assigned: 'Assigned',
};

/** Every lifecycle action, in words, with what it will do (SPEC §3.2). */
export const actionInfo: Record<
  ActionName,
  {
    label: string;
    verb: string;
    done: string;
    explain: string;
    from: Status[] | 'any';
    operatorOnly: boolean;
  }
> = {
  allocate: {
    label: 'Allocate…',
    verb: 'Allocate',
    done: 'allocated',
    explain:
      'Reserves the numbers for a customer or the operator. They stay reserved until activated.',
    from: ['available'],
    operatorOnly: true,
  },
  deallocate: {
    label: 'Deallocate',
    verb: 'Deallocate',
    done: 'deallocated',
    explain:
      'Returns reserved numbers to the pool of available numbers; a main-number nomination is removed.',
    from: ['reserved'],
    operatorOnly: true,
  },
  activate: {
    label: 'Activate',
    verb: 'Activate',
    done: 'activated',
    explain: 'Puts reserved numbers into service for their holder.',
    from: ['reserved'],
    operatorOnly: true,
  },
  deactivate: {
    label: 'Deactivate',
    verb: 'Deactivate',
    done: 'deactivated',
    explain: 'Takes active numbers out of service; they stay reserved for the same holder.',
    from: ['active'],
    operatorOnly: true,
  },
  assign: {
    label: 'Assign…',
    verb: 'Assign',
    done: 'assigned',
    explain: 'Assigns active numbers to a user, a conference or a voice app.',
    from: ['active'],
    operatorOnly: false,
  },
  unassign: {
    label: 'Unassign',
    verb: 'Unassign',
    done: 'unassigned',
    explain: 'Removes the assignment; the numbers stay active.',
    from: ['assigned'],
    operatorOnly: false,
  },
  release: {
    label: 'Release',
    verb: 'Release',
    done: 'released',
    explain:
      'Takes the numbers away from their holder. They cool off before anyone can have them again.',
    from: ['reserved', 'active'],
    operatorOnly: true,
  },
  lock: {
    label: 'Lock…',
    verb: 'Lock',
    done: 'locked',
    explain: 'Locked numbers cannot be allocated (for example a voicemail access number).',
    from: 'any',
    operatorOnly: true,
  },
  unlock: {
    label: 'Unlock',
    verb: 'Unlock',
    done: 'unlocked',
    explain: 'Lets the numbers be allocated again.',
    from: 'any',
    operatorOnly: true,
  },
  setMain: {
    label: 'Nominate as main number',
    verb: 'Nominate',
    done: 'nominated as main numbers',
    explain:
      "A main number receives the calls to its holder's reception at a site. Only available or reserved numbers qualify.",
    from: ['available', 'reserved'],
    operatorOnly: true,
  },
  unsetMain: {
    label: 'Remove main-number nomination',
    verb: 'Remove nomination of',
    done: 'no longer main numbers',
    explain: 'The numbers stop being main numbers. Only while available or reserved.',
    from: ['available', 'reserved'],
    operatorOnly: true,
  },
};

export const actionOrder = Object.keys(actionInfo) as ActionName[];

/** Whether `action` can apply to a number in this state (the server has the last word). */
export function actionApplies(
  action: ActionName,
  n: { status: Status; locked: boolean; mainNumber: boolean },
): boolean {
  const info = actionInfo[action];
  if (info.from !== 'any' && !info.from.includes(n.status)) return false;
  if (action === 'lock') return !n.locked;
  if (action === 'unlock') return n.locked;
  if (action === 'allocate') return !n.locked;
  if (action === 'setMain') return !n.mainNumber;
  if (action === 'unsetMain') return n.mainNumber;
  return true;
}

export const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Date(iso).toLocaleDateString('en-GB', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  });
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString('en-GB', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** "+44 20 7946 0000"-style grouping is country-specific; keep E.164 exact but readable. */
export const formatNumber = (e164: string) => e164;

/** SPEC §3.3: a number's state on its platform (null: not on a synced service). */
export type SyncState = NonNullable<NumberDto['sync']>['state'];

/** Short names for the sync-state tabs of the numbers table (issue #6). */
export const syncStateLabel: Record<SyncState, string> = {
  pendingFirstSync: 'Pending first sync',
  active: 'In sync',
  releaseRequested: 'Release requested',
  markedForRemoval: 'Marked for removal',
  readyForRemoval: 'Ready for removal',
  failed: 'Sync failed',
};

/** The operator's platform-sync decisions (SPEC §3.3), for the menu, bulk buttons and dialog. */
export type SyncActionName = 'approve-removal' | 'reactivate';

export const syncActionInfo: Record<
  SyncActionName,
  { label: string; verb: string; done: string; explain: string; from: SyncState[] }
> = {
  'approve-removal': {
    label: 'Approve removal',
    verb: 'Approve removal of',
    done: 'released (cooling off)',
    explain:
      'The tenant deleted these numbers on its platform. Approving releases them: their assignment and holder go, and they cool off before anyone can have them again. Nothing is sent to the platform.',
    from: ['markedForRemoval'],
  },
  reactivate: {
    label: 'Reactivate (push again)',
    verb: 'Reactivate',
    done: 'queued for a push to their platform',
    explain:
      'Pushes the numbers to their platform again; they become in sync once the platform confirms. Use it for numbers marked for removal that the tenant still needs, or numbers whose push failed.',
    from: ['markedForRemoval', 'failed'],
  },
};

export const syncActionOrder = Object.keys(syncActionInfo) as SyncActionName[];

export const isSyncAction = (a: string): a is SyncActionName =>
  a === 'approve-removal' || a === 'reactivate';

/** Whether a sync action can apply to a number (the server has the last word). */
export function syncActionApplies(
  action: SyncActionName,
  n: { sync: { state: SyncState } | null; pendingOperation: unknown },
): boolean {
  return !!n.sync && syncActionInfo[action].from.includes(n.sync.state) && !n.pendingOperation;
}
