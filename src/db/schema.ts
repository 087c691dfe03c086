/** Kysely table types: one interface per table, columns as PostgreSQL returns them. */
import type { ColumnType, Generated } from 'kysely';
import type { SyncState } from '../domain/platform.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>;

export interface CustomersTable {
  id: Generated<string>;
  name: string;
  account_name: string;
  status: Generated<'active' | 'suspended' | 'closed'>;
  teams_tenant_id: string | null;
  webex_org_id: string | null;
  correlation_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Generated<number>;
}

export interface SitesTable {
  id: Generated<string>;
  name: string;
  country: string;
  address: string | null;
  allocation_policy: Generated<'batchOf5' | 'exact'>;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Generated<number>;
}

export interface RangesTable {
  id: Generated<string>;
  name: string;
  start_e164: string;
  end_e164: string;
  country: string;
  site_id: string | null;
  carrier: string | null;
  ported_in: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Generated<number>;
}

export interface NumbersTable {
  e164: string;
  country: string;
  kind: string;
  extension: string | null;
  range_id: string | null;
  site_id: string | null;
  status: Generated<'available' | 'reserved' | 'active' | 'assigned'>;
  holder_type: 'operator' | 'customer' | null;
  customer_id: string | null;
  main_number: Generated<boolean>;
  locked: Generated<boolean>;
  lock_reason: string | null;
  cooling_off_until: NullableTimestamp;
  usage: 'user' | 'application' | 'conference' | 'contactCenter' | null;
  assignment_type: 'user' | 'conference' | 'voiceApp' | null;
  assignment_target_id: string | null;
  assignment_target_name: string | null;
  capabilities: Generated<string[]>;
  civic_address_id: string | null;
  location_id: string | null;
  customer_may_update: Generated<boolean>;
  custom_sip_header: string | null;
  sip_connection: string | null;
  calling_profile_id: string | null;
  cac_limit: number | null;
  service_info: string | null;
  service_id: string | null;
  source: 'api' | 'ui' | 'import' | 'sync';
  pending_job_id: string | null;
  pending_action: string | null;
  acquired_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Generated<number>;
  /** 0007: SPEC §3.3 sync state; null when the number is not on a synced service. */
  sync_state: SyncState | null;
  sync_errors: ColumnType<SyncErrorJson[] | null, string | null | undefined, string | null>;
  last_synced_at: NullableTimestamp;
  upstream_job_id: string | null;
}

/** 0007: SPEC §3.3. */
export type { SyncState };

export interface SyncErrorJson {
  code: string;
  message: string;
  target?: string;
}

/** 0007: what a push job still has to deliver (the transactional outbox). */
export interface SyncOutboxTable {
  job_id: string;
  service_id: string;
  e164: string;
  op: 'push' | 'delete' | 'release';
  created_at: Timestamp;
}

/** 0007: a difference a refresh found between Numbat and a platform. */
export interface SyncDifferencesTable {
  id: Generated<string>;
  refresh_job_id: string;
  service_id: string;
  customer_id: string;
  e164: string;
  kind: 'missingUpstream' | 'missingHere' | 'fieldDrift' | 'assignment' | 'tenantDeleted';
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: Generated<'open' | 'applied' | 'superseded'>;
  created_at: Timestamp;
  applied_at: NullableTimestamp;
}

export interface ApiTokensTable {
  id: Generated<string>;
  name: string;
  token_hash: string;
  prefix: string;
  permissions: string[];
  scope: string;
  created_by: string | null;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: Timestamp;
  principal_id: string;
  principal_name: string;
  source: 'api' | 'ui' | 'import' | 'sync' | 'system';
  action: string;
  object_type: string;
  object_id: string;
  customer_id: string | null;
  changes: ColumnType<Record<string, unknown>, string | undefined, string>;
  ticket_id: string | null;
  request_id: string | null;
}

export interface IdempotencyKeysTable {
  principal_id: string;
  key: string;
  request_hash: string;
  state: 'running' | 'done';
  response_status: number | null;
  response_headers: ColumnType<Record<string, string> | null, string | null, string | null>;
  response_body: string | null;
  created_at: Timestamp;
}

export interface SettingsTable {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: Timestamp;
}

export interface JobsTable {
  id: Generated<string>;
  kind: string;
  status: Generated<
    'queued' | 'running' | 'succeeded' | 'partiallySucceeded' | 'failed' | 'cancelled'
  >;
  params: ColumnType<Record<string, unknown>, string | undefined, string>;
  result: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  total: number | null;
  done: Generated<number>;
  failed: Generated<number>;
  error: string | null;
  created_by_id: string;
  created_by_name: string;
  source: Generated<'api' | 'ui' | 'import' | 'sync' | 'system'>;
  customer_id: string | null;
  ticket_id: string | null;
  request_id: string | null;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  run_after: Timestamp;
  cancel_requested: Generated<boolean>;
  locked_by: string | null;
  locked_until: NullableTimestamp;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  updated_at: Timestamp;
  /** 0003: last heartbeat of the worker holding the lease. */
  heartbeat_at: NullableTimestamp;
  /** 0003: what the job is doing now (e.g. "validating", "merging"). */
  progress_note: string | null;
}

/** 0003: an uploaded file of an asynchronous job, in chunks. */
export interface JobFilesTable {
  job_id: string;
  seq: number;
  data: Buffer;
}

/** 0003: R-50 commit marker of an import (content hash + options). */
export interface ImportCommitsTable {
  content_key: string;
  job_id: string;
  imported: number;
  invalid: number;
  committed_at: Timestamp;
}

/** 0011: which numbers an `import.commit` audit event added, and for whom. */
export interface ImportNumbersTable {
  e164: string;
  event_id: number;
  customer_id: string | null;
}

/** 0011: the customers an `import.commit` audit event gave numbers to. */
export interface ImportEventCustomersTable {
  event_id: number;
  customer_id: string;
}

export interface JobItemErrorsTable {
  job_id: string;
  seq: number;
  item: string;
  code: string;
  message: string;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  password_hash: string;
  permissions: string[];
  scope: string;
  disabled: Generated<boolean>;
  failed_sign_ins: Generated<number>;
  sign_in_blocked_until: NullableTimestamp;
  last_sign_in_at: NullableTimestamp;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Generated<number>;
}

export interface UserSessionsTable {
  id_hash: string;
  user_id: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  user_agent: string | null;
}

export type Platform =
  'teamsOperatorConnect' | 'teamsPhoneMobile' | 'webexCloudConnect' | 'hostedVoice';
export type ServiceStatus = 'pendingConsent' | 'pendingProvisioning' | 'ready' | 'removing';

export interface ServicesTable {
  id: Generated<string>;
  customer_id: string;
  platform: Platform;
  status: ServiceStatus;
  sync_enabled: Generated<boolean>;
  mode: 'integrated' | 'nonIntegrated' | null;
  sip_connection: string | null;
  calling_profile_id: string | null;
  quantity: number | null;
  site_id: string | null;
  consented_at: NullableTimestamp;
  last_modified_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Generated<number>;
}

export type RelationshipStatus =
  | 'consentAcknowledged'
  | 'customerContacted'
  | 'agreementSigned'
  | 'consentDeclined'
  | 'contractTerminated';

export interface ConsentsTable {
  tenant_id: string;
  external_id: string | null;
  platform_status: Generated<'active' | 'suspended' | 'removed'>;
  consented_at: NullableTimestamp;
  platform_modified_at: NullableTimestamp;
  consented_countries: Generated<string[]>;
  contacts: ColumnType<Record<string, unknown>[], string | undefined, string>;
  relationship_status: Generated<RelationshipStatus>;
  relationship_reason: string | null;
  relationship_ticket_id: string | null;
  relationship_modified_at: Timestamp;
  customer_id: string | null;
  source: 'api' | 'ui' | 'import' | 'sync' | 'system';
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Generated<number>;
}

export interface CivicAddressesTable {
  id: Generated<string>;
  customer_id: string | null;
  source: 'operator' | 'sync';
  external_id: string | null;
  company_name: string | null;
  description: string | null;
  street: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string;
  validated: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Generated<number>;
}

export interface LocationsTable {
  id: Generated<string>;
  civic_address_id: string;
  external_id: string | null;
  description: string | null;
  additional_info: string | null;
  is_default: Generated<boolean>;
  elin: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Migration 0010: one row per day per site/range (customer_id NULL) and per holding customer there. */
export interface UtilisationSnapshotsTable {
  day: ColumnType<Date, string, string>;
  scope_type: 'site' | 'range';
  scope_id: string;
  customer_id: string | null;
  total: number;
  available: number;
  cooling_off: number;
  reserved: number;
  active: number;
  assigned: number;
  taken_at: Timestamp;
}

export interface DB {
  jobs: JobsTable;
  job_item_errors: JobItemErrorsTable;
  job_files: JobFilesTable;
  import_commits: ImportCommitsTable;
  import_numbers: ImportNumbersTable;
  import_event_customers: ImportEventCustomersTable;
  customers: CustomersTable;
  sites: SitesTable;
  ranges: RangesTable;
  numbers: NumbersTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  settings: SettingsTable;
  services: ServicesTable;
  consents: ConsentsTable;
  civic_addresses: CivicAddressesTable;
  locations: LocationsTable;
  users: UsersTable;
  user_sessions: UserSessionsTable;
  sync_outbox: SyncOutboxTable;
  sync_differences: SyncDifferencesTable;
  utilisation_snapshots: UtilisationSnapshotsTable;
}
