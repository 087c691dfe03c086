import { DomainError } from './errors.js';

/** What the database stores; `coolingOff` is derived from `coolingOffUntil` (SPEC §3.2). */
export type StoredStatus = 'available' | 'reserved' | 'active' | 'assigned';
export type Status = StoredStatus | 'coolingOff';
export type Holder = { type: 'operator' } | { type: 'customer'; customerId: string };
export type Usage = 'user' | 'application' | 'conference' | 'contactCenter';
export type AssignmentType = 'user' | 'conference' | 'voiceApp';

export interface Assignment {
  type: AssignmentType;
  targetId: string;
  targetName?: string | null;
}

export interface PendingOperation {
  jobId: string;
  action: string;
}

export interface NumberState {
  e164: string;
  country: string;
  status: StoredStatus;
  holder: Holder | null;
  siteId: string | null;
  usage: Usage | null;
  mainNumber: boolean;
  locked: boolean;
  lockReason: string | null;
  coolingOffUntil: Date | null;
  assignment: Assignment | null;
  pendingOperation: PendingOperation | null;
}

export type Action =
  | { type: 'allocate'; holder: Holder }
  | { type: 'deallocate' }
  | { type: 'activate' }
  | { type: 'deactivate' }
  | { type: 'assign'; assignment: Assignment }
  | { type: 'unassign' }
  | { type: 'release' }
  | { type: 'lock'; reason: string }
  | { type: 'unlock' }
  | { type: 'setMain' }
  | { type: 'unsetMain' };
export type ActionType = Action['type'];

export const actionTypes: readonly ActionType[] = [
  'allocate',
  'deallocate',
  'activate',
  'deactivate',
  'assign',
  'unassign',
  'release',
  'lock',
  'unlock',
  'setMain',
  'unsetMain',
];

/** What the rules need to know beyond the number itself; supplied by the service layer. */
export interface LifecycleContext {
  now: Date;
  /** Days a released number cools off in `country` (SPEC default 90); 0 means none. */
  coolingOffDays(country: string): number;
  /** R-12; the operator is always active. */
  holderIsActive(holder: Holder): boolean;
  /** does `holder` already have a main number at `siteId`, other than `exceptE164`? */
  holderHasMainAtSite(holder: Holder, siteId: string, exceptE164: string): boolean;
}

const DAY_MS = 86_400_000;

function isCoolingOff(n: NumberState, now: Date): boolean {
  return (
    n.status === 'available' &&
    n.coolingOffUntil !== null &&
    n.coolingOffUntil.getTime() > now.getTime()
  );
}

/** SPEC §3.2: cooling off ends by itself when the date passes — no job has to run. */
export function effectiveStatus(n: NumberState, now: Date): Status {
  return isCoolingOff(n, now) ? 'coolingOff' : n.status;
}

function refuse(
  code: DomainError['code'],
  n: NumberState,
  why: string,
  rule?: string,
): DomainError {
  return new DomainError(code, `${n.e164}: ${why}`, rule, { e164: n.e164 });
}

function describeHolder(h: Holder): string {
  return h.type === 'operator' ? 'the operator' : `customer ${h.customerId}`;
}

/**
 * SPEC §3.2 / §3.4: apply one lifecycle action. Pure: returns a new state or
 * throws the DomainError of the first rule that refuses, in a fixed order so
 * the same request always gets the same answer.
 */
export function applyAction(n: NumberState, action: Action, ctx: LifecycleContext): NumberState {
  // R-13 first: while an upstream job is in flight the platform's view may change under us.
  if (n.pendingOperation !== null) {
    const { jobId, action: pending } = n.pendingOperation;
    throw new DomainError(
      'PENDING_OPERATION',
      `${n.e164}: operation "${pending}" is pending in job ${jobId}; wait for it to finish`,
      'R-13',
      { e164: n.e164, jobId, action: pending },
    );
  }
  const status = effectiveStatus(n, ctx.now);

  switch (action.type) {
    case 'allocate': {
      if (n.status !== 'available')
        throw refuse('NOT_AVAILABLE', n, `is ${n.status}, not available`);
      if (status === 'coolingOff' && n.coolingOffUntil !== null) {
        const until = n.coolingOffUntil.toISOString().slice(0, 10);
        throw new DomainError('COOLING_OFF', `${n.e164}: cooling off until ${until}`, 'R-10', {
          e164: n.e164,
          until,
        });
      }
      if (n.locked)
        throw refuse('NUMBER_LOCKED', n, `is locked (${n.lockReason ?? 'no reason'})`, 'R-11');
      if (!ctx.holderIsActive(action.holder)) {
        throw refuse(
          'HOLDER_NOT_ACTIVE',
          n,
          `${describeHolder(action.holder)} is not active`,
          'R-12',
        );
      }
      if (
        n.mainNumber &&
        n.siteId !== null &&
        ctx.holderHasMainAtSite(action.holder, n.siteId, n.e164)
      ) {
        throw refuse(
          'MAIN_NUMBER_EXISTS',
          n,
          `${describeHolder(action.holder)} already has a main number at site ${n.siteId}`,
          'R-21',
        );
      }
      return { ...n, status: 'reserved', holder: action.holder, coolingOffUntil: null };
    }
    case 'deallocate':
      if (n.status === 'active' || n.status === 'assigned')
        throw refuse('NUMBER_IN_USE', n, `is ${n.status}`, 'R-14');
      if (n.status !== 'reserved') throw refuse('NOT_RESERVED', n, `is ${status}, not reserved`);
      return { ...n, status: 'available', holder: null, mainNumber: false };
    case 'activate':
      if (n.status !== 'reserved') throw refuse('NOT_RESERVED', n, `is ${status}, not reserved`);
      if (n.holder === null) throw refuse('NO_HOLDER', n, 'has no holder', 'R-15');
      return { ...n, status: 'active' };
    case 'deactivate':
      if (n.status === 'assigned')
        throw refuse('NUMBER_ASSIGNED', n, 'is assigned; unassign it first', 'R-16');
      if (n.status !== 'active') throw refuse('NOT_ACTIVE', n, `is ${status}, not active`);
      return { ...n, status: 'reserved' };
    case 'assign':
      if (n.status !== 'active') throw refuse('NOT_ACTIVE', n, `is ${status}, not active`);
      return { ...n, status: 'assigned', assignment: { ...action.assignment } };
    case 'unassign':
      if (n.status !== 'assigned') throw refuse('NOT_ASSIGNED', n, `is ${status}, not assigned`);
      return { ...n, status: 'active', assignment: null };
    case 'release': {
      if (n.status === 'assigned')
        throw refuse('NUMBER_ASSIGNED', n, 'is assigned; unassign it first', 'R-17');
      if (n.status !== 'reserved' && n.status !== 'active') {
        throw refuse('NOT_RESERVED', n, `is ${status}, not reserved or active`);
      }
      const days = ctx.coolingOffDays(n.country);
      const coolingOffUntil = days > 0 ? new Date(ctx.now.getTime() + days * DAY_MS) : null;
      return { ...n, status: 'available', holder: null, mainNumber: false, coolingOffUntil };
    }
    case 'lock': {
      const reason = action.reason.trim();
      if (reason === '') throw refuse('LOCK_REASON_REQUIRED', n, 'locking needs a reason');
      if (n.locked)
        throw refuse('ALREADY_LOCKED', n, `is already locked (${n.lockReason ?? 'no reason'})`);
      return { ...n, locked: true, lockReason: reason };
    }
    case 'unlock':
      if (!n.locked) throw refuse('NOT_LOCKED', n, 'is not locked');
      return { ...n, locked: false, lockReason: null };
    case 'setMain':
      if (n.mainNumber) throw refuse('ALREADY_MAIN', n, 'is already a main number');
      if (n.siteId === null)
        throw refuse('MAIN_NUMBER_NO_SITE', n, 'has no site; main numbers are per holder per site');
      if (n.usage === 'application') {
        throw refuse('MAIN_NUMBER_USAGE', n, 'has usage application (IVR / hunt group)', 'R-22');
      }
      // Cooling off is not `available` here: the number is still tied to its former holder's site.
      if (status !== 'available' && status !== 'reserved') {
        throw refuse(
          'MAIN_NUMBER_STATE',
          n,
          `is ${status}; nominate only available or reserved numbers`,
          'R-20',
        );
      }
      if (
        status === 'reserved' &&
        n.holder !== null &&
        ctx.holderHasMainAtSite(n.holder, n.siteId, n.e164)
      ) {
        throw refuse(
          'MAIN_NUMBER_EXISTS',
          n,
          `${describeHolder(n.holder)} already has a main number at site ${n.siteId}`,
          'R-21',
        );
      }
      return { ...n, mainNumber: true };
    case 'unsetMain':
      if (!n.mainNumber) throw refuse('NOT_MAIN', n, 'is not a main number');
      if (status !== 'available' && status !== 'reserved') {
        throw refuse(
          'MAIN_NUMBER_STATE',
          n,
          `is ${status}; remove the nomination only while available or reserved`,
          'R-23',
        );
      }
      return { ...n, mainNumber: false };
  }
}

/**
 * The invariants every stored number satisfies (also database constraints).
 * Returns a description of each broken one; empty means consistent.
 */
export function invariantViolations(n: NumberState): string[] {
  const broken: string[] = [];
  const held = n.status !== 'available';
  if (held !== (n.holder !== null))
    broken.push(`holder must be set exactly when ${held ? n.status : 'not available'}`);
  if ((n.status === 'assigned') !== (n.assignment !== null))
    broken.push('assignment must be set exactly when assigned');
  if (n.locked !== (n.lockReason !== null && n.lockReason.trim() !== ''))
    broken.push('locked exactly when a lock reason is set');
  if (n.coolingOffUntil !== null && n.status !== 'available')
    broken.push('coolingOffUntil only on available numbers');
  if (n.mainNumber && n.siteId === null) broken.push('a main number needs a site');
  return broken;
}
