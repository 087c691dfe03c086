/**
 * One interface for every calling platform Numbat pushes numbers to (SPEC §8).
 *
 * Plain data in, plain data out: no database rows, no Numbat ids. The outbox
 * (a later slice) maps numbers and services onto these types, calls a
 * connector, and maps the results onto the sync state of SPEC §3.3
 * (`pendingFirstSync → active`, `failed` with the platform's errors).
 */

/** Where on the platform numbers live: an ACG account, a Webex location. */
export interface UpstreamTarget {
  /** ACG: the account name; Webex: the location id. */
  id: string;
  /** Webex: the organisation id (`orgId` query parameter), when acting for a partner. */
  orgId?: string;
}

/** A number as Numbat wants it on the platform. */
export interface UpstreamNumber {
  /** E.164, `+` and digits. */
  e164: string;
  /** ACG service the number is enabled for; Webex ignores it. Default `teamsOperatorConnect`. */
  service?: 'teamsOperatorConnect' | 'teamsPhoneMobile';
  /** Platform usage, e.g. Teams `CallingUserAssignment`; Webex `SERVICE` for non-user numbers. */
  usage?: string;
  /** Teams capabilities the customer may choose (ACG `choosableCapabilities`). */
  capabilities?: string[];
  civicAddressId?: string;
  locationId?: string;
  /** ACG `allowTenantAddressUpdate` (SPEC §6 `customerMayUpdate`). */
  customerMayUpdate?: boolean;
  /** ACG `configuration.customSipHeader` (R-31: not on Teams Phone Mobile). */
  customSipHeader?: string;
  /** Webex: the number is in service (`ACTIVE`) or not (`INACTIVE`). Default true. */
  active?: boolean;
  /** Webex `numberType`; default `DID`. */
  numberType?: 'DID' | 'TOLLFREE' | 'MOBILE';
}

/** One error the platform reported for one number or request. */
export interface UpstreamError {
  code: string;
  message: string;
  target?: string;
}

/**
 * The platform's provisioning state of one number. ACG `serviceProvisioningStatus`
 * `pending | synced | failed`; Webex answers synchronously, so `synced`.
 */
export type UpstreamStatus = 'pending' | 'synced' | 'failed';

export interface NumberOutcome {
  e164: string;
  status: UpstreamStatus;
  errors: UpstreamError[];
}

export interface PushResult {
  /** One entry per number pushed, in input order. */
  numbers: NumberOutcome[];
  /** Requests made (batches × calls per batch), for progress and tests. */
  requests: number;
}

export interface DeleteResult {
  /** Numbers no longer on the platform (including ones that were not there). */
  deleted: string[];
  /** Numbers the platform refused to delete, with why. */
  refused: { e164: string; errors: UpstreamError[] }[];
  requests: number;
}

/** A number as the platform reports it (refresh compares these with Numbat's). */
export interface UpstreamNumberState {
  e164: string;
  status: UpstreamStatus;
  errors: UpstreamError[];
  /** Assigned to a user/workspace on the platform, when the platform says. */
  assigned: boolean | null;
  usage: string | null;
  civicAddressId: string | null;
  locationId: string | null;
  customSipHeader: string | null;
  /** Webex `state === 'ACTIVE'`; ACG: service enabled. */
  active: boolean;
  /** Webex: the location's main number. */
  mainNumber: boolean;
}

/** A Teams "Request for Information" (SPEC §5 consents). */
export interface UpstreamConsent {
  id: string;
  tenantId: string;
  accountName: string | null;
  status: 'active' | 'suspended' | 'removed';
  consentedCountries: string[];
  consentedOn: string | null;
  lastModifiedOn: string | null;
  contacts: {
    fullName?: string;
    email?: string;
    telephoneNumber?: string;
    companyName?: string;
    companySize?: string;
  }[];
  customerRelationship: { status: string | null; comment: string | null } | null;
}

/** A civic address the customer configured on its platform (SPEC §6: read-only here). */
export interface UpstreamCivicAddress {
  id: string;
  country: string | null;
  description: string | null;
  companyName: string | null;
  houseNumber: string | null;
  streetName: string | null;
  cityOrTown: string | null;
  stateOrProvince: string | null;
  postalOrZipCode: string | null;
  validated: boolean;
  locations: {
    id: string;
    description: string | null;
    additionalInfo: string | null;
    isDefault: boolean;
    elin: string | null;
  }[];
}

export interface ConnectorCapabilities {
  platform: 'acg' | 'webex';
  /** Most numbers one push request may carry. */
  maxPushBatch: number;
  /** Most numbers one delete request may carry. */
  maxDeleteBatch: number;
  supportsConsents: boolean;
  supportsCivicAddresses: boolean;
}

export interface Connector {
  capabilities(): ConnectorCapabilities;
  /** Create or update numbers; idempotent (a repeat leaves each number there once). */
  pushNumbers(target: UpstreamTarget, numbers: UpstreamNumber[]): Promise<PushResult>;
  /** Remove numbers; numbers already gone count as deleted. */
  deleteNumbers(target: UpstreamTarget, e164s: string[]): Promise<DeleteResult>;
  listNumbers(target: UpstreamTarget): Promise<UpstreamNumberState[]>;
  /** Empty when `supportsConsents` is false. */
  listConsents(): Promise<UpstreamConsent[]>;
  /** Empty when `supportsCivicAddresses` is false. */
  listCivicAddresses(target: UpstreamTarget): Promise<UpstreamCivicAddress[]>;
}

/** Split a list into chunks of at most `size` (the platform's batch limit). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
