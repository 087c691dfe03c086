import { describe, it, expect } from 'vitest';
import {
  DomainError,
  actionTypes,
  applyAction,
  effectiveStatus,
  invariantViolations,
} from '../../src/domain/index.js';
import type {
  Action,
  ErrorCode,
  Holder,
  LifecycleContext,
  NumberState,
} from '../../src/domain/index.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
const OPERATOR: Holder = { type: 'operator' };
const ACME: Holder = { type: 'customer', customerId: 'acme' };
const SUSPENDED_ID = 'suspended-co';
const SUSPENDED: Holder = { type: 'customer', customerId: SUSPENDED_ID };

/** Factory: a consistent number; overrides must keep it consistent (checked). */
function num(overrides: Partial<NumberState> = {}): NumberState {
  return {
    e164: '+442079460000',
    country: 'GB',
    status: 'available',
    holder: null,
    siteId: 'site-1',
    usage: 'user',
    mainNumber: false,
    locked: false,
    lockReason: null,
    coolingOffUntil: null,
    assignment: null,
    pendingOperation: null,
    ...overrides,
  };
}
const reserved = (o: Partial<NumberState> = {}) => num({ status: 'reserved', holder: ACME, ...o });
const active = (o: Partial<NumberState> = {}) => num({ status: 'active', holder: ACME, ...o });
const assigned = (o: Partial<NumberState> = {}) =>
  num({ status: 'assigned', holder: ACME, assignment: { type: 'user', targetId: 'u1' }, ...o });

function ctx(overrides: Partial<LifecycleContext> = {}): LifecycleContext {
  return {
    now: NOW,
    coolingOffDays: () => 90,
    holderIsActive: (h) => !(h.type === 'customer' && h.customerId === SUSPENDED_ID),
    holderHasMainAtSite: () => false,
    ...overrides,
  };
}

function apply(n: NumberState, action: Action, c: LifecycleContext = ctx()): NumberState {
  const next = applyAction(n, action, c);
  expect(invariantViolations(next)).toEqual([]);
  return next;
}

function refusal(n: NumberState, action: Action, c: LifecycleContext = ctx()): DomainError {
  const before = structuredClone(n);
  try {
    applyAction(n, action, c);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    expect(n).toEqual(before); // a refusal changes nothing
    return e;
  }
  throw new Error(`expected ${action.type} to be refused`);
}

function expectRefused(
  n: NumberState,
  action: Action,
  code: ErrorCode,
  rule?: string,
  c?: LifecycleContext,
): DomainError {
  const e = refusal(n, action, c);
  expect(e.code).toBe(code);
  expect(e.rule).toBe(rule);
  return e;
}

describe('happy paths', () => {
  it('allocate: available -> reserved with the holder', () => {
    const n = num({ coolingOffUntil: new Date(NOW.getTime() - DAY) });
    const next = apply(n, { type: 'allocate', holder: ACME });
    expect(next).toMatchObject({ status: 'reserved', holder: ACME, coolingOffUntil: null });
    expect(n.status).toBe('available'); // pure: input untouched
  });

  it('allocate to the operator', () => {
    expect(apply(num(), { type: 'allocate', holder: OPERATOR }).holder).toEqual(OPERATOR);
  });

  it('deallocate: reserved -> available, holder and main flag cleared', () => {
    const next = apply(reserved({ mainNumber: true }), { type: 'deallocate' });
    expect(next).toMatchObject({ status: 'available', holder: null, mainNumber: false });
    expect(next.coolingOffUntil).toBeNull();
  });

  it('activate: reserved -> active', () => {
    expect(apply(reserved(), { type: 'activate' })).toMatchObject({
      status: 'active',
      holder: ACME,
    });
  });

  it('deactivate: active -> reserved, holder kept', () => {
    expect(apply(active(), { type: 'deactivate' })).toMatchObject({
      status: 'reserved',
      holder: ACME,
    });
  });

  it('assign: active -> assigned with the assignment', () => {
    const assignment = { type: 'conference', targetId: 'c1', targetName: 'Board' } as const;
    expect(apply(active(), { type: 'assign', assignment })).toMatchObject({
      status: 'assigned',
      assignment,
    });
  });

  it('unassign: assigned -> active, assignment cleared', () => {
    expect(apply(assigned(), { type: 'unassign' })).toMatchObject({
      status: 'active',
      assignment: null,
    });
  });

  it.each([
    ['reserved', reserved({ mainNumber: true })],
    ['active', active()],
  ])('release from %s: cooling off for coolingOffDays(country), holder cleared', (_, n) => {
    const days: string[] = [];
    const c = ctx({ coolingOffDays: (country) => (days.push(country), 30) });
    const next = apply(n, { type: 'release' }, c);
    expect(days).toEqual(['GB']);
    expect(next).toMatchObject({ status: 'available', holder: null, mainNumber: false });
    expect(next.coolingOffUntil).toEqual(new Date(NOW.getTime() + 30 * DAY));
    expect(effectiveStatus(next, NOW)).toBe('coolingOff');
  });

  it('release with 0 cooling-off days makes the number available at once', () => {
    const next = apply(active(), { type: 'release' }, ctx({ coolingOffDays: () => 0 }));
    expect(next.coolingOffUntil).toBeNull();
    expect(effectiveStatus(next, NOW)).toBe('available');
  });

  it('lock stores the trimmed reason, in any state', () => {
    for (const n of [num(), reserved(), active(), assigned()]) {
      expect(apply(n, { type: 'lock', reason: '  porting out ' })).toMatchObject({
        status: n.status,
        locked: true,
        lockReason: 'porting out',
      });
    }
  });

  it('unlock clears the lock', () => {
    expect(apply(num({ locked: true, lockReason: 'x' }), { type: 'unlock' })).toMatchObject({
      locked: false,
      lockReason: null,
    });
  });

  it('setMain on an available or reserved number', () => {
    expect(apply(num(), { type: 'setMain' }).mainNumber).toBe(true);
    expect(apply(reserved(), { type: 'setMain' }).mainNumber).toBe(true);
  });

  it('unsetMain on an available or reserved number', () => {
    expect(apply(num({ mainNumber: true }), { type: 'unsetMain' }).mainNumber).toBe(false);
    expect(apply(reserved({ mainNumber: true }), { type: 'unsetMain' }).mainNumber).toBe(false);
  });

  it('a main number stays main through activate, assign, unassign and deactivate', () => {
    let n = reserved({ mainNumber: true });
    n = apply(n, { type: 'activate' });
    n = apply(n, { type: 'assign', assignment: { type: 'user', targetId: 'u1' } });
    n = apply(n, { type: 'unassign' });
    n = apply(n, { type: 'deactivate' });
    expect(n).toMatchObject({ status: 'reserved', mainNumber: true });
  });

  it('actionTypes lists every action', () => {
    expect([...actionTypes].sort()).toEqual(
      [
        'activate',
        'allocate',
        'assign',
        'deactivate',
        'deallocate',
        'lock',
        'release',
        'setMain',
        'unassign',
        'unlock',
        'unsetMain',
      ].sort(),
    );
  });
});

describe('effectiveStatus (SPEC §3.2)', () => {
  it('coolingOff while coolingOffUntil is in the future, available from that instant on', () => {
    const until = new Date(NOW.getTime() + DAY);
    const n = num({ coolingOffUntil: until });
    expect(effectiveStatus(n, NOW)).toBe('coolingOff');
    expect(effectiveStatus(n, new Date(until.getTime() - 1))).toBe('coolingOff');
    expect(effectiveStatus(n, until)).toBe('available');
  });

  it('stored status otherwise', () => {
    expect(effectiveStatus(active(), NOW)).toBe('active');
  });
});

describe('rules', () => {
  it('R-10 allocate while cooling off is refused with COOLING_OFF naming the date', () => {
    const n = num({ coolingOffUntil: new Date('2027-01-05T09:00:00Z') });
    const e = expectRefused(n, { type: 'allocate', holder: ACME }, 'COOLING_OFF', 'R-10');
    expect(e.details).toMatchObject({ until: '2027-01-05' });
    expect(e.message).toContain('cooling off until 2027-01-05');
  });

  it('R-11 allocate of a locked number is refused with NUMBER_LOCKED', () => {
    const n = num({ locked: true, lockReason: 'fraud' });
    expectRefused(n, { type: 'allocate', holder: ACME }, 'NUMBER_LOCKED', 'R-11');
  });

  it('R-12 allocate to an inactive holder is refused with HOLDER_NOT_ACTIVE', () => {
    expectRefused(num(), { type: 'allocate', holder: SUSPENDED }, 'HOLDER_NOT_ACTIVE', 'R-12');
  });

  it.each(actionTypes)(
    'R-13 %s while an operation is pending is refused with PENDING_OPERATION',
    (type) => {
      const actions: Record<typeof type, Action> = {
        allocate: { type: 'allocate', holder: ACME },
        deallocate: { type: 'deallocate' },
        activate: { type: 'activate' },
        deactivate: { type: 'deactivate' },
        assign: { type: 'assign', assignment: { type: 'user', targetId: 'u1' } },
        unassign: { type: 'unassign' },
        release: { type: 'release' },
        lock: { type: 'lock', reason: 'x' },
        unlock: { type: 'unlock' },
        setMain: { type: 'setMain' },
        unsetMain: { type: 'unsetMain' },
      };
      const n = active({ pendingOperation: { jobId: 'job-42', action: 'release' } });
      const e = expectRefused(n, actions[type], 'PENDING_OPERATION', 'R-13');
      expect(e.details).toMatchObject({ jobId: 'job-42', action: 'release' });
      expect(e.message).toContain('job-42');
    },
  );

  it.each([
    ['active', active()],
    ['assigned', assigned()],
  ])('R-14 deallocate of an %s number is refused with NUMBER_IN_USE', (_, n) => {
    expectRefused(n, { type: 'deallocate' }, 'NUMBER_IN_USE', 'R-14');
  });

  it('R-15 activate without a holder is refused with NO_HOLDER', () => {
    // Unreachable through applyAction (reserved always has a holder); guards bad stored data.
    expectRefused(num({ status: 'reserved' }), { type: 'activate' }, 'NO_HOLDER', 'R-15');
  });

  it('R-16 deactivate of an assigned number is refused with NUMBER_ASSIGNED', () => {
    expectRefused(assigned(), { type: 'deactivate' }, 'NUMBER_ASSIGNED', 'R-16');
  });

  it('R-17 release of an assigned number is refused with NUMBER_ASSIGNED', () => {
    expectRefused(assigned(), { type: 'release' }, 'NUMBER_ASSIGNED', 'R-17');
  });

  it.each([
    ['assigned', assigned()],
    ['active', active()],
    ['cooling off', num({ coolingOffUntil: new Date(NOW.getTime() + DAY) })],
  ])('R-20 setMain on a %s number is refused with MAIN_NUMBER_STATE', (_, n) => {
    expectRefused(n, { type: 'setMain' }, 'MAIN_NUMBER_STATE', 'R-20');
  });

  it('R-21 setMain on a reserved number whose holder has a main at the site: MAIN_NUMBER_EXISTS', () => {
    const asked: unknown[] = [];
    const c = ctx({ holderHasMainAtSite: (...args) => (asked.push(args), true) });
    expectRefused(reserved(), { type: 'setMain' }, 'MAIN_NUMBER_EXISTS', 'R-21', c);
    expect(asked).toEqual([[ACME, 'site-1', '+442079460000']]);
  });

  it('R-21 setMain on an available number does not look for other main numbers', () => {
    const c = ctx({ holderHasMainAtSite: () => true });
    expect(apply(num(), { type: 'setMain' }, c).mainNumber).toBe(true);
  });

  it('R-21 allocate of a main number to a holder with a main at the site: MAIN_NUMBER_EXISTS', () => {
    const c = ctx({ holderHasMainAtSite: (h, site) => h === ACME && site === 'site-1' });
    const n = num({ mainNumber: true });
    expectRefused(n, { type: 'allocate', holder: ACME }, 'MAIN_NUMBER_EXISTS', 'R-21', c);
    expect(apply(n, { type: 'allocate', holder: OPERATOR }, c).holder).toEqual(OPERATOR);
  });

  it('R-22 setMain on an application-usage number is refused with MAIN_NUMBER_USAGE', () => {
    expectRefused(num({ usage: 'application' }), { type: 'setMain' }, 'MAIN_NUMBER_USAGE', 'R-22');
  });

  it.each([
    ['active', active({ mainNumber: true })],
    ['assigned', assigned({ mainNumber: true })],
  ])('R-23 unsetMain on an %s number is refused with MAIN_NUMBER_STATE', (_, n) => {
    expectRefused(n, { type: 'unsetMain' }, 'MAIN_NUMBER_STATE', 'R-23');
  });
});

describe('refusals by code', () => {
  it.each([
    ['reserved', reserved()],
    ['active', active()],
    ['assigned', assigned()],
  ])('NOT_AVAILABLE: allocate of a %s number', (_, n) => {
    expectRefused(n, { type: 'allocate', holder: OPERATOR }, 'NOT_AVAILABLE');
  });

  it('NOT_RESERVED: deallocate, activate and release of an available number', () => {
    expectRefused(num(), { type: 'deallocate' }, 'NOT_RESERVED');
    expectRefused(num(), { type: 'activate' }, 'NOT_RESERVED');
    expectRefused(num(), { type: 'release' }, 'NOT_RESERVED');
    expectRefused(active(), { type: 'activate' }, 'NOT_RESERVED');
  });

  it('NOT_RESERVED: release of a cooling-off number names its state', () => {
    const n = num({ coolingOffUntil: new Date(NOW.getTime() + DAY) });
    expect(expectRefused(n, { type: 'release' }, 'NOT_RESERVED').message).toContain('coolingOff');
  });

  it('NOT_ACTIVE: deactivate and assign of a reserved number', () => {
    expectRefused(reserved(), { type: 'deactivate' }, 'NOT_ACTIVE');
    const assignment = { type: 'user', targetId: 'u1' } as const;
    expectRefused(reserved(), { type: 'assign', assignment }, 'NOT_ACTIVE');
    expectRefused(assigned(), { type: 'assign', assignment }, 'NOT_ACTIVE');
  });

  it('NOT_ASSIGNED: unassign of an active number', () => {
    expectRefused(active(), { type: 'unassign' }, 'NOT_ASSIGNED');
  });

  it.each(['', '   '])('LOCK_REASON_REQUIRED: lock with reason %j', (reason) => {
    expectRefused(num(), { type: 'lock', reason }, 'LOCK_REASON_REQUIRED');
  });

  it('ALREADY_LOCKED / NOT_LOCKED', () => {
    expectRefused(
      num({ locked: true, lockReason: 'a' }),
      { type: 'lock', reason: 'b' },
      'ALREADY_LOCKED',
    );
    expectRefused(num(), { type: 'unlock' }, 'NOT_LOCKED');
  });

  it('ALREADY_MAIN / NOT_MAIN', () => {
    expectRefused(num({ mainNumber: true }), { type: 'setMain' }, 'ALREADY_MAIN');
    expectRefused(num(), { type: 'unsetMain' }, 'NOT_MAIN');
  });

  it('MAIN_NUMBER_NO_SITE: setMain on a number without a site', () => {
    expectRefused(num({ siteId: null }), { type: 'setMain' }, 'MAIN_NUMBER_NO_SITE');
  });

  it('checks in a fixed order: cooling off before locked before holder', () => {
    const n = num({
      coolingOffUntil: new Date(NOW.getTime() + DAY),
      locked: true,
      lockReason: 'x',
    });
    expectRefused(n, { type: 'allocate', holder: SUSPENDED }, 'COOLING_OFF', 'R-10');
    const unlockedLater = { ...n, coolingOffUntil: null };
    expectRefused(unlockedLater, { type: 'allocate', holder: SUSPENDED }, 'NUMBER_LOCKED', 'R-11');
  });
});

describe('invariantViolations', () => {
  it('is empty for consistent numbers', () => {
    for (const n of [
      num(),
      reserved(),
      active(),
      assigned(),
      num({ locked: true, lockReason: 'x' }),
    ]) {
      expect(invariantViolations(n)).toEqual([]);
    }
  });

  it.each([
    ['holder on an available number', num({ holder: ACME })],
    ['no holder on a reserved number', num({ status: 'reserved' })],
    ['assignment on an active number', active({ assignment: { type: 'user', targetId: 'u' } })],
    ['no assignment on an assigned number', active({ status: 'assigned' })],
    ['locked without reason', num({ locked: true })],
    ['reason without lock', num({ lockReason: 'x' })],
    ['cooling off on a reserved number', reserved({ coolingOffUntil: NOW })],
    ['main without site', num({ mainNumber: true, siteId: null })],
  ])('reports %s', (_, n) => {
    expect(invariantViolations(n)).toHaveLength(1);
  });
});
