/**
 * Errors of the application layer (not found, conflicts, preconditions) and
 * the one mapping from every error to an RFC 9457 problem+json answer.
 * Domain code throws DomainError; services throw AppError; only this file
 * knows HTTP statuses.
 */
import type { ErrorCode } from '../domain/errors.js';
import { DomainError } from '../domain/errors.js';

export type AppErrorCode =
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CSRF_TOKEN_INVALID'
  | 'VALIDATION_FAILED'
  | 'PRECONDITION_FAILED'
  | 'PRECONDITION_REQUIRED'
  | 'CONFLICT'
  | 'ALREADY_EXISTS'
  | 'RANGE_OVERLAP'
  | 'NOT_ENOUGH_NUMBERS'
  | 'CUSTOMER_HAS_NUMBERS'
  | 'CUSTOMER_CLOSED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_PROGRESS'
  | 'RATE_LIMITED'
  | 'TOO_MANY_EXPORTS'
  | 'SERVER_BUSY'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL';

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);

const appStatus: Record<AppErrorCode, number> = {
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF_TOKEN_INVALID: 403,
  VALIDATION_FAILED: 400,
  PRECONDITION_FAILED: 412,
  PRECONDITION_REQUIRED: 428,
  CONFLICT: 409,
  ALREADY_EXISTS: 409,
  RANGE_OVERLAP: 409,
  NOT_ENOUGH_NUMBERS: 409,
  CUSTOMER_HAS_NUMBERS: 409,
  CUSTOMER_CLOSED: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_KEY_IN_PROGRESS: 409,
  RATE_LIMITED: 429,
  TOO_MANY_EXPORTS: 429,
  SERVER_BUSY: 503,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL: 500,
};

/** Input that cannot be turned into a number or range is 422; refused transitions are 409. */
const domainStatus = (code: ErrorCode): number =>
  code === 'INVALID_NUMBER' ||
  code === 'INVALID_RANGE' ||
  code === 'COUNTRY_MISMATCH' ||
  code === 'LOCK_REASON_REQUIRED' ||
  code === 'CUSTOM_SIP_HEADER_NOT_ALLOWED' ||
  code === 'USAGE_NOT_ALLOWED' ||
  code === 'CAC_FIXED' ||
  code === 'CAPABILITY_NOT_ALLOWED' ||
  code === 'EMERGENCY_ADDRESS_REQUIRED' ||
  code === 'REASON_REQUIRED'
    ? 422
    : 409;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  rule?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

function titleOf(code: string): string {
  return code.charAt(0) + code.slice(1).toLowerCase().replaceAll('_', ' ');
}

/** Problem fields for a known error; null for anything else (a 500). */
export function toProblem(err: unknown): Problem | null {
  if (err instanceof DomainError) {
    return {
      type: `https://numbat.dev/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
      title: titleOf(err.code),
      status: domainStatus(err.code),
      code: err.code,
      detail: err.message,
      ...(err.rule ? { rule: err.rule } : {}),
      ...err.details,
    };
  }
  if (err instanceof AppError) {
    return {
      type: `https://numbat.dev/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
      title: titleOf(err.code),
      status: appStatus[err.code],
      code: err.code,
      detail: err.message,
      ...err.details,
      ...(err.errors ? { errors: err.errors } : {}),
    };
  }
  return null;
}

/** Per-number outcome in bulk answers: `ok`, or the refusal's code and message. */
export function errorSummary(
  err: unknown,
): { code: string; message: string; rule?: string } | null {
  if (err instanceof DomainError) {
    return { code: err.code, message: err.message, ...(err.rule ? { rule: err.rule } : {}) };
  }
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return null;
}
