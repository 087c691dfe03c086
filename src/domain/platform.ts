/**
 * SPEC §5: customer services and the platform fields of their numbers, as
 * pure rules — the service status machine and which number fields a
 * platform accepts.
 */
import { DomainError } from './errors.js';
import type { Usage } from './lifecycle.js';

export const platforms = [
  'teamsOperatorConnect',
  'teamsPhoneMobile',
  'webexCloudConnect',
  'hostedVoice',
] as const;
export type Platform = (typeof platforms)[number];

/** SPEC §3.3: the sync state of a number on a synced service. */
export const syncStates = [
  'pendingFirstSync',
  'active',
  'releaseRequested',
  'markedForRemoval',
  'readyForRemoval',
  'failed',
] as const;
export type SyncState = (typeof syncStates)[number];

export const serviceStatuses = [
  'pendingConsent',
  'pendingProvisioning',
  'ready',
  'removing',
] as const;
export type ServiceStatus = (typeof serviceStatuses)[number];

export type ServiceEvent =
  /** The customer consented on the platform (or the operator records it). */
  | 'consentGiven'
  /** Numbers were provisioned on the service (upload, automatic allocation). */
  | 'numbersProvisioned'
  /** The operator asked to remove the service; its numbers are released. */
  | 'removalRequested'
  /** Every number has left the service: the service is gone. */
  | 'removed';

export const isTeams = (p: Platform) => p === 'teamsOperatorConnect' || p === 'teamsPhoneMobile';

/**
 * where a service starts. Teams services start `pendingProvisioning`
 * when the tenant's consent is already there; Webex ones wait for their
 * consent; hosted voice is the operator's own and needs none.
 */
export function initialServiceStatus(platform: Platform, consented: boolean): ServiceStatus {
  if (platform === 'hostedVoice') return 'pendingProvisioning';
  return consented ? 'pendingProvisioning' : 'pendingConsent';
}

/**
 * `pendingConsent → pendingProvisioning → ready → removing → gone`.
 * Provisioning more numbers on a ready service keeps it ready; asking again
 * for a removal in progress is allowed (the retry continues it).
 */
export function nextServiceStatus(
  status: ServiceStatus,
  event: ServiceEvent,
): ServiceStatus | 'gone' {
  const refuse = () =>
    new DomainError(
      'SERVICE_STATUS',
      `a ${status} service cannot take "${event}"${
        status === 'pendingConsent' && event === 'numbersProvisioned'
          ? ': the customer has not consented yet'
          : status === 'removing'
            ? ': the service is being removed'
            : ''
      }`,
      'R-30',
      { serviceStatus: status, event },
    );
  switch (event) {
    case 'consentGiven':
      if (status !== 'pendingConsent') throw refuse();
      return 'pendingProvisioning';
    case 'numbersProvisioned':
      if (status !== 'pendingProvisioning' && status !== 'ready') throw refuse();
      return 'ready';
    case 'removalRequested':
      return 'removing';
    case 'removed':
      if (status !== 'removing') throw refuse();
      return 'gone';
  }
}

/** The number fields a platform constrains. */
export interface PlatformFields {
  usage: Usage | null;
  capabilities: readonly string[];
  customSipHeader: string | null;
  cacLimit: number | null;
  civicAddressId: string | null;
  locationId: string | null;
  customerMayUpdate: boolean;
}

export interface FieldViolation {
  code: DomainError['code'];
  rule?: string;
  field: string;
  message: string;
}

/** the number types (usages) each platform offers. */
export const usagesOf: Record<Platform, readonly Usage[]> = {
  // Operator Connect / Teams Phone Mobile: calling users, voice apps, conferences.
  teamsOperatorConnect: ['user', 'application', 'conference'],
  teamsPhoneMobile: ['user', 'application', 'conference'],
  // Webex number type: User, Service (= application), Contact Center.
  webexCloudConnect: ['user', 'application', 'contactCenter'],
  hostedVoice: ['user', 'application', 'conference', 'contactCenter'],
};

/** CAC of `user` numbers, fixed. */
export const USER_CAC = 2;

/**
 * and capabilities: every violation of `f` on a number
 * of a `platform` service, in a fixed order (empty = valid). A number on no
 * service (`platform` null) only has the rules that hold everywhere.
 */
export function platformFieldViolations(
  platform: Platform | null,
  f: PlatformFields,
): FieldViolation[] {
  const out: FieldViolation[] = [];
  if (platform === 'teamsPhoneMobile' && f.customSipHeader !== null) {
    out.push({
      code: 'CUSTOM_SIP_HEADER_NOT_ALLOWED',
      rule: 'R-31',
      field: 'customSipHeader',
      message: 'Teams Phone Mobile numbers cannot carry a custom SIP header',
    });
  }
  if (platform !== null && f.usage !== null && !usagesOf[platform].includes(f.usage)) {
    out.push({
      code: 'USAGE_NOT_ALLOWED',
      rule: 'R-32',
      field: 'usage',
      message: `${platform} numbers take usage ${usagesOf[platform].join(', ')}, not ${f.usage}`,
    });
  }
  if (f.usage === 'user' && f.cacLimit !== null && f.cacLimit !== USER_CAC) {
    out.push({
      code: 'CAC_FIXED',
      rule: 'R-33',
      field: 'cacLimit',
      message: `user numbers have CAC ${USER_CAC}, fixed; got ${f.cacLimit}`,
    });
  }
  if (platform !== null && platform !== 'teamsPhoneMobile' && f.capabilities.includes('mobile')) {
    out.push({
      code: 'CAPABILITY_NOT_ALLOWED',
      field: 'capabilities',
      message: `the mobile capability is for Teams Phone Mobile numbers, not ${platform}`,
    });
  }
  if (
    platform !== null &&
    isTeams(platform) &&
    f.usage === 'user' &&
    !f.customerMayUpdate &&
    (f.civicAddressId === null || f.locationId === null)
  ) {
    out.push({
      code: 'EMERGENCY_ADDRESS_REQUIRED',
      rule: 'R-37',
      field: 'emergency',
      message:
        'a user number on a Teams service needs a civic address and a location, unless the customer may update them',
    });
  }
  return out;
}

/** Throws the first violation as a DomainError (all of them in `details.violations`). */
export function assertPlatformFields(
  platform: Platform | null,
  f: PlatformFields,
  subject: string,
): void {
  const v = platformFieldViolations(platform, f);
  if (v.length === 0) return;
  const first = v[0]!;
  throw new DomainError(first.code, `${subject}: ${first.message}`, first.rule, {
    field: first.field,
    violations: v,
  });
}

/**
 * R-33 on Webex: a `user` number's CAC is 2 whatever was asked; other usages
 * keep theirs. Applied when a value is stored so reads show the real limit.
 */
export function effectiveCac(
  platform: Platform | null,
  f: Pick<PlatformFields, 'usage' | 'cacLimit'>,
) {
  return platform === 'webexCloudConnect' && f.usage === 'user' ? USER_CAC : f.cacLimit;
}

export const relationshipStatuses = [
  'consentAcknowledged',
  'customerContacted',
  'agreementSigned',
  'consentDeclined',
  'contractTerminated',
] as const;
export type RelationshipStatus = (typeof relationshipStatuses)[number];

/**
 * SPEC §5: the operator's relationship with a consenting tenant moves forward
 * `consentAcknowledged → customerContacted → agreementSigned`; it can be
 * declined before an agreement, terminated after one, and a declined or
 * terminated relationship can be picked up again.
 */
const relationshipMoves: Record<RelationshipStatus, readonly RelationshipStatus[]> = {
  consentAcknowledged: ['customerContacted', 'agreementSigned', 'consentDeclined'],
  customerContacted: ['agreementSigned', 'consentDeclined'],
  agreementSigned: ['contractTerminated'],
  consentDeclined: ['consentAcknowledged', 'customerContacted', 'agreementSigned'],
  contractTerminated: ['agreementSigned'],
};

/** R-34 and the moves above: throws REASON_REQUIRED / RELATIONSHIP_TRANSITION. */
export function assertRelationshipChange(
  from: RelationshipStatus,
  to: RelationshipStatus,
  reason: string | null | undefined,
): void {
  if ((to === 'consentDeclined' || to === 'contractTerminated') && !reason?.trim()) {
    throw new DomainError(
      'REASON_REQUIRED',
      `setting the relationship to ${to} needs a reason`,
      'R-34',
      {
        relationshipStatus: to,
      },
    );
  }
  if (from !== to && !relationshipMoves[from].includes(to)) {
    throw new DomainError(
      'RELATIONSHIP_TRANSITION',
      `the relationship cannot move from ${from} to ${to}`,
      undefined,
      { from, to, allowed: relationshipMoves[from] },
    );
  }
}

export const allowedRelationshipMoves = (from: RelationshipStatus) => relationshipMoves[from];
