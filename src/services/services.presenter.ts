/** Service rows to API objects. */
import { Type, type Static } from '@sinclair/typebox';
import { platforms, serviceStatuses } from '../domain/platform.js';
import { DateTime, Nullable, StringEnum, Uuid } from '../http/schemas.js';
import type { ServiceRow } from './services.repository.js';
import { etagOfService } from './services.service.js';

export const PlatformSchema = StringEnum(platforms);
export const ServiceStatusSchema = StringEnum(serviceStatuses, {
  description: 'R-30: pendingConsent → pendingProvisioning → ready → removing (→ gone: deleted)',
});
export const Mode = StringEnum(['integrated', 'nonIntegrated'] as const, {
  description: 'Webex Cloud Connect only: integrated services push numbers to the Webex location',
});

export const ServiceSchema = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    platform: PlatformSchema,
    status: ServiceStatusSchema,
    syncEnabled: Type.Boolean({ description: 'Flow-through provisioning to the platform' }),
    mode: Nullable(Mode),
    sipConnection: Nullable(Type.String({ description: 'Default SBC SIP connection / trunk' })),
    callingProfileId: Nullable(Type.String()),
    quantity: Nullable(Type.Integer({ description: 'Hosted voice seats' })),
    siteId: Nullable(Uuid),
    consentedAt: Nullable(DateTime),
    lastModifiedAt: DateTime,
    createdAt: DateTime,
    updatedAt: DateTime,
    etag: Type.String(),
  },
  { $id: 'Service' },
);
export type ServiceDto = Static<typeof ServiceSchema>;

export function presentService(r: ServiceRow): ServiceDto {
  return {
    id: r.id,
    customerId: r.customer_id,
    platform: r.platform,
    status: r.status,
    syncEnabled: r.sync_enabled,
    mode: r.mode,
    sipConnection: r.sip_connection,
    callingProfileId: r.calling_profile_id,
    quantity: r.quantity,
    siteId: r.site_id,
    consentedAt: r.consented_at?.toISOString() ?? null,
    lastModifiedAt: r.last_modified_at.toISOString(),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    etag: etagOfService(r),
  };
}

export const AutoAllocationSchema = Nullable(
  Type.Object({
    ran: Type.Boolean(),
    reason: Type.Optional(Type.String({ description: 'Why automation did not run (R-44)' })),
    jobId: Type.Optional(Uuid),
    policy: Type.Optional(Type.String()),
    numbers: Type.Optional(Type.Array(Type.String())),
    main: Type.Optional(Nullable(Type.String())),
    activated: Type.Optional(Type.Array(Type.String())),
    reserved: Type.Optional(Type.Array(Type.String())),
  }),
);
