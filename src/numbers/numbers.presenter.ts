/** Number rows to API objects: explicit, so a column never leaks by accident. */
import { Type, type Static } from '@sinclair/typebox';
import { effectiveStatus } from '../domain/lifecycle.js';
import { syncStates } from '../domain/platform.js';
import { Country, DateTime, E164, Holder, Nullable, StringEnum, Uuid } from '../http/schemas.js';
import { rowToState, type NumberRow } from './numbers.repository.js';
import { etagOf } from './numbers.service.js';

export const Usage = StringEnum(['user', 'application', 'conference', 'contactCenter'] as const);
export const Capability = StringEnum([
  'inboundCalling',
  'outboundCalling',
  'inboundSms',
  'outboundSms',
  'mobile',
] as const);
export const Status = StringEnum([
  'available',
  'coolingOff',
  'reserved',
  'active',
  'assigned',
] as const);
export const Kind = StringEnum([
  'fixedLine',
  'mobile',
  'tollFree',
  'premiumRate',
  'sharedCost',
  'voip',
  'personal',
  'uan',
  'unknown',
] as const);
export const Assignment = Type.Object(
  {
    type: Type.Union([Type.Literal('user'), Type.Literal('conference'), Type.Literal('voiceApp')]),
    targetId: Type.String({ minLength: 1, maxLength: 200 }),
    targetName: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  },
  { additionalProperties: false },
);

export const NumberSchema = Type.Object(
  {
    e164: E164,
    country: Country,
    kind: Kind,
    extension: Nullable(Type.String()),
    rangeId: Nullable(Uuid),
    siteId: Nullable(Uuid),
    status: Status,
    holder: Nullable(Holder),
    mainNumber: Type.Boolean(),
    locked: Type.Boolean(),
    lockReason: Nullable(Type.String()),
    coolingOffUntil: Nullable(DateTime),
    usage: Nullable(Usage),
    assignment: Nullable(Assignment),
    capabilities: Type.Array(Capability),
    emergency: Type.Object({
      civicAddressId: Nullable(Type.String()),
      locationId: Nullable(Type.String()),
      customerMayUpdate: Type.Boolean(),
    }),
    customSipHeader: Nullable(Type.String()),
    sipConnection: Nullable(Type.String()),
    callingProfileId: Nullable(Type.String()),
    cacLimit: Nullable(Type.Integer()),
    serviceInfo: Nullable(Type.String()),
    serviceId: Nullable(Uuid),
    source: Type.Union([
      Type.Literal('api'),
      Type.Literal('ui'),
      Type.Literal('import'),
      Type.Literal('sync'),
    ]),
    pendingOperation: Nullable(Type.Object({ jobId: Type.String(), action: Type.String() })),
    /** SPEC §3.1/§3.3: null when the number is not on a synced service. */
    sync: Nullable(
      Type.Object({
        state: StringEnum(syncStates),
        upstreamJobId: Nullable(Type.String()),
        lastSyncedAt: Nullable(DateTime),
        errors: Type.Array(
          Type.Object({
            code: Type.String(),
            message: Type.String(),
            target: Type.Optional(Type.String()),
          }),
        ),
      }),
    ),
    acquiredAt: Nullable(DateTime),
    createdAt: DateTime,
    updatedAt: DateTime,
    etag: Type.String(),
  },
  { $id: 'Number' },
);
export type NumberDto = Static<typeof NumberSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentNumber(r: NumberRow, now: Date): NumberDto {
  const state = rowToState(r);
  return {
    e164: r.e164,
    country: r.country,
    kind: r.kind as NumberDto['kind'],
    extension: r.extension,
    rangeId: r.range_id,
    siteId: r.site_id,
    status: effectiveStatus(state, now),
    holder: state.holder,
    mainNumber: r.main_number,
    locked: r.locked,
    lockReason: r.lock_reason,
    coolingOffUntil: iso(r.cooling_off_until),
    usage: r.usage,
    assignment: state.assignment
      ? {
          type: state.assignment.type,
          targetId: state.assignment.targetId,
          targetName: state.assignment.targetName ?? null,
        }
      : null,
    capabilities: r.capabilities as NumberDto['capabilities'],
    emergency: {
      civicAddressId: r.civic_address_id,
      locationId: r.location_id,
      customerMayUpdate: r.customer_may_update,
    },
    customSipHeader: r.custom_sip_header,
    sipConnection: r.sip_connection,
    callingProfileId: r.calling_profile_id,
    cacLimit: r.cac_limit,
    serviceInfo: r.service_info,
    serviceId: r.service_id,
    source: r.source,
    pendingOperation: state.pendingOperation,
    sync: r.sync_state
      ? {
          state: r.sync_state,
          upstreamJobId: r.upstream_job_id,
          lastSyncedAt: iso(r.last_synced_at),
          errors: (r.sync_errors ?? []).map((e) => ({
            code: e.code,
            message: e.message,
            ...(e.target ? { target: e.target } : {}),
          })),
        }
      : null,
    acquiredAt: iso(r.acquired_at),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    etag: etagOf(r),
  };
}
