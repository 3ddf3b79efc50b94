// Expected failures of domain operations. The GraphQL layer exposes them as typed errors in
// mutation payloads (and as error codes elsewhere); anything else is a bug and is masked.

export type ErrorCode =
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "FORBIDDEN"
  | "CONFLICT"
  // RingCentral failures (src/domain/ringcentral-errors.ts).
  | "RINGCENTRAL_AUTH_FAILED"
  | "RINGCENTRAL_PERMISSION_DENIED"
  | "RINGCENTRAL_RATE_LIMITED"
  | "RINGCENTRAL_UNAVAILABLE"
  | "RINGCENTRAL_REQUEST_REJECTED"
  | "RINGCENTRAL_LOGIN_REQUIRED"
  | "RINGCENTRAL_NOT_CONNECTED"
  // Credentials cannot be stored: no encryption key (src/secrets.ts).
  | "ENCRYPTION_KEY_REQUIRED";

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
}

/** The object does not exist — or the viewer may not see it, which must look the same (R1.2). */
export class NotFoundError extends DomainError {
  readonly code = "NOT_FOUND" as const;
  constructor(readonly entity: string) {
    super(`${entity} not found`);
  }
}

/** An input value is invalid; `field` names the argument path, e.g. `input.phoneNumber`. */
export class InvalidInputError extends DomainError {
  readonly code = "BAD_USER_INPUT" as const;
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** The change would break a uniqueness rule (an email or phone number already in use…). */
export class ConflictError extends DomainError {
  readonly code = "CONFLICT" as const;
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = "FORBIDDEN" as const;
}
