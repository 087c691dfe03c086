/** SPEC §8 refresh: the pure comparison of Numbat's numbers with the platform's. */
import { describe, expect, it } from 'vitest';
import type { UpstreamNumberState } from '../../src/sync/connectors/connector.js';
import { compareNumbers } from '../../src/sync/refresh.job.js';

type Here = Parameters<typeof compareNumbers>[1][number];
const here = (e164: string, f: Partial<Here> = {}): Here => ({
  e164,
  status: 'active',
  usage: 'user',
  custom_sip_header: null,
  assignment_type: null,
  sync_state: 'active',
  pending_job_id: null,
  ...f,
});
const there = (e164: string, f: Partial<UpstreamNumberState> = {}): UpstreamNumberState => ({
  e164,
  status: 'synced',
  errors: [],
  assigned: false,
  usage: 'CallingUserAssignment',
  civicAddressId: null,
  locationId: null,
  customSipHeader: null,
  active: true,
  mainNumber: false,
  ...f,
});

describe('compareNumbers', () => {
  it('reports nothing when both sides agree', () => {
    expect(compareNumbers('teamsOperatorConnect', [here('+1')], [there('+1')])).toEqual([]);
  });

  it('a synced number gone upstream is a tenant deletion; one never confirmed is missing upstream', () => {
    const d = compareNumbers(
      'teamsOperatorConnect',
      [
        here('+1'),
        here('+2', { sync_state: 'pendingFirstSync' }),
        here('+3', { sync_state: 'failed' }),
      ],
      [],
    );
    expect(d.map((x) => [x.e164, x.kind])).toEqual([
      ['+1', 'tenantDeleted'],
      ['+2', 'missingUpstream'],
      ['+3', 'missingUpstream'],
    ]);
  });

  it('R-13: numbers with an operation in flight and numbers already marked for removal are skipped', () => {
    const d = compareNumbers(
      'teamsOperatorConnect',
      [here('+1', { pending_job_id: 'job' }), here('+2', { sync_state: 'markedForRemoval' })],
      [there('+2', { usage: 'ConferenceAssignment' })],
    );
    expect(d).toEqual([]);
  });

  it('field drift, assignment and numbers missing here', () => {
    const d = compareNumbers(
      'teamsOperatorConnect',
      [here('+1'), here('+2', { status: 'assigned' })],
      [
        there('+1', { usage: 'ConferenceAssignment', customSipHeader: 'h' }),
        there('+2'),
        there('+9'),
      ],
    );
    expect(d).toEqual([
      {
        e164: '+1',
        kind: 'fieldDrift',
        details: {
          usage: { numbat: 'user', platform: 'conference' },
          customSipHeader: { numbat: null, platform: 'h' },
        },
      },
      { e164: '+2', kind: 'assignment', details: { numbat: 'assigned', platformAssigned: false } },
      expect.objectContaining({ e164: '+9', kind: 'missingHere' }),
    ]);
  });

  it('Webex compares the active state, not Teams usages', () => {
    const d = compareNumbers(
      'webexCloudConnect',
      [here('+1', { status: 'reserved' })],
      [there('+1', { usage: null, active: true, assigned: null })],
    );
    expect(d).toEqual([
      { e164: '+1', kind: 'fieldDrift', details: { active: { numbat: false, platform: true } } },
    ]);
  });
});
