/**
 * The catalogue of stable domain error codes. The HTTP edge maps each code to a
 * status (refused transitions are 409, SPEC §3.2); clients and tests match on
 * the code, never on the message, so codes are never renamed.
 */
export const errorCodes = [
  /** input cannot be normalised to a valid E.164 number (details.reason). */
  'INVALID_NUMBER',
  /** number's country differs from the site's / location's country. */
  'COUNTRY_MISMATCH',
  /** malformed range (details.reason). */
  'INVALID_RANGE',
  /** number is cooling off (details.until = YYYY-MM-DD). */
  'COOLING_OFF',
  /** locked numbers cannot be allocated. */
  'NUMBER_LOCKED',
  /** the holder (customer) is not active. */
  'HOLDER_NOT_ACTIVE',
  /** an upstream change is in flight (details.jobId, details.action). */
  'PENDING_OPERATION',
  /** deallocate of an active or assigned number. */
  'NUMBER_IN_USE',
  /** activate of a number without holder. */
  'NO_HOLDER',
  /** R-16 deactivate / R-17 release of an assigned number (unassign first). */
  'NUMBER_ASSIGNED',
  'NOT_AVAILABLE',
  'NOT_RESERVED',
  'NOT_ACTIVE',
  'NOT_ASSIGNED',
  /** main flag changes only while available or reserved. */
  'MAIN_NUMBER_STATE',
  /** the holder already has a main number at that site. */
  'MAIN_NUMBER_EXISTS',
  /** usage `application` numbers cannot be main numbers. */
  'MAIN_NUMBER_USAGE',
  /** Main numbers are per holder per site, so a main number needs a site. */
  'MAIN_NUMBER_NO_SITE',
  'LOCK_REASON_REQUIRED',
  'ALREADY_LOCKED',
  'NOT_LOCKED',
  'ALREADY_MAIN',
  'NOT_MAIN',
  /** the service's status does not allow this (details.status, details.event). */
  'SERVICE_STATUS',
  /** custom SIP headers are not available on Teams Phone Mobile numbers. */
  'CUSTOM_SIP_HEADER_NOT_ALLOWED',
  /** the usage is not a number type of the service's platform. */
  'USAGE_NOT_ALLOWED',
  /** `user` numbers have CAC 2, fixed. */
  'CAC_FIXED',
  /** A capability the service's platform does not offer (e.g. `mobile` off Teams Phone Mobile). */
  'CAPABILITY_NOT_ALLOWED',
  /** a `user` number on a Teams service needs a civic address and location. */
  'EMERGENCY_ADDRESS_REQUIRED',
  /** declining a consent or terminating a contract needs a reason. */
  'REASON_REQUIRED',
  /** A consent's customer relationship cannot move between these statuses. */
  'RELATIONSHIP_TRANSITION',
  /** SPEC §6: addresses that arrived by sync are read-only. */
  'ADDRESS_READ_ONLY',
  /** An address or location still used by numbers cannot be deleted. */
  'ADDRESS_IN_USE',
  /** SPEC §3.3: the number's sync state does not allow this (details.syncState). */
  'SYNC_STATE',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/**
 * A refusal by a domain rule. Domain code throws only this; it knows nothing of
 * HTTP, so services, imports and jobs can reuse the same rules.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The SPEC rule id (e.g. `R-10`) when the refusal is a numbered rule. */
    readonly rule?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Narrowing helper for catch blocks: `isDomainError(e, 'NUMBER_LOCKED')`. */
export function isDomainError(e: unknown, code?: ErrorCode): e is DomainError {
  return e instanceof DomainError && (code === undefined || e.code === code);
}
