// Expected RingCentral failures, as domain errors with stable codes. The SDK's errors are mapped to
// these in src/integrations/ringcentral/retry-policy.ts, so nothing above the integration sees an HTTP
// status — and nothing here ever carries a secret, a JWT or a token.
import { DomainError } from "./errors.ts";

/**
 * RingCentral refused the credentials: wrong client id/secret, a bad or revoked JWT, a dead session (401/400 on
 * login).
 */
export class RingCentralAuthError extends DomainError {
  readonly code = "RINGCENTRAL_AUTH_FAILED" as const;
  constructor(
    message: string,
    /** RingCentral's error code, e.g. OAU-140 (invalid JWT) or OAU-153 (invalid client). */
    readonly ringCentralCode: string | null = null,
  ) {
    super(message);
  }
}

/** The extension or app lacks a permission (403), e.g. not a RingCentral admin, or no CallControl scope. */
export class RingCentralPermissionError extends DomainError {
  readonly code = "RINGCENTRAL_PERMISSION_DENIED" as const;
  constructor(
    message: string,
    readonly ringCentralCode: string | null = null,
  ) {
    super(message);
  }
}

/** Still throttled (429) after waiting out `Retry-After` as many times as allowed. */
export class RingCentralRateLimitError extends DomainError {
  readonly code = "RINGCENTRAL_RATE_LIMITED" as const;
  constructor(
    message: string,
    /** How long RingCentral asked to wait, in seconds. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** RingCentral answered 5xx or could not be reached, after retries. */
export class RingCentralUnavailableError extends DomainError {
  readonly code = "RINGCENTRAL_UNAVAILABLE" as const;
  constructor(
    message: string,
    /** The HTTP status, or null when there was no answer at all (network error). */
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

/** Any other 4xx: RingCentral rejected the request itself (bad parameter, unknown id…). */
export class RingCentralRequestError extends DomainError {
  readonly code = "RINGCENTRAL_REQUEST_REJECTED" as const;
  constructor(
    message: string,
    readonly status: number,
    readonly ringCentralCode: string | null = null,
  ) {
    super(message);
  }
}

/** An agent's own RingCentral login is missing or expired: they must connect it again (R2.5). */
export class RingCentralLoginRequiredError extends DomainError {
  readonly code = "RINGCENTRAL_LOGIN_REQUIRED" as const;
  constructor(message = "Connect your RingCentral login first") {
    super(message);
  }
}

/** No RingCentral account is connected yet: an admin must verify credentials first (R2.1). */
export class RingCentralNotConnectedError extends DomainError {
  readonly code = "RINGCENTRAL_NOT_CONNECTED" as const;
  constructor(message = "RingCentral is not connected: an admin must verify credentials first") {
    super(message);
  }
}

/** RingCentral credentials cannot be stored: there is no encryption key (R2.2). */
export class EncryptionKeyRequiredError extends DomainError {
  readonly code = "ENCRYPTION_KEY_REQUIRED" as const;
  constructor(message: string) {
    super(message);
  }
}
