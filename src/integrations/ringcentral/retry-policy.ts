// When a RingCentral call is tried again, and what a failed one means: an SDK error (with or
// without a response) becomes a rate limit to wait out, a lost session to log in again for, an
// outage to back off from, or a final typed error of src/domain/ringcentral-errors.ts.
import {
  RingCentralAuthError,
  RingCentralLoginRequiredError,
  RingCentralPermissionError,
  RingCentralRateLimitError,
  RingCentralRequestError,
  RingCentralUnavailableError,
} from "../../domain/ringcentral-errors.ts";
import { rateLimitHeadersOf, retryAfterSecondsOf, routeKey, type UserRateLimiter } from "./rate-limiter.ts";

export interface RetryPolicy {
  /** Retries after the first attempt, for 429s and (idempotent calls) 5xx/network errors. */
  maxRetries: number;
  /** First backoff for 5xx/network errors; doubles each retry up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Milliseconds per second of `Retry-After` and `X-Rate-Limit-Window` (1000; tests shrink it). */
  secondMs: number;
  /** When a 429 has no `Retry-After` (RingCentral: wait at least 30 s; the SDK assumes 60). */
  defaultRetryAfterSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  secondMs: 1000,
  defaultRetryAfterSeconds: 60,
};

export const TOKEN_PATH = "/restapi/oauth/token";

const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE"]);

/** Whether a call may be sent twice when nothing says otherwise. */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method);
}

/** The backoff before retry number `attempt` (1-based) after a 5xx or network error. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/** The SDK's errors carry the fetch Response (ApiError). */
export interface SdkError extends Error {
  response?: Response | null;
}

export type Failure =
  | { kind: "rate-limited"; retryAfterSeconds: number; group: string | null }
  | { kind: "session-lost"; reason: string }
  | { kind: "unavailable"; status: number | null; reason: string }
  | { kind: "final"; error: Error };

async function errorBodyOf(response: Response): Promise<{ errorCode: string | null; message: string | null }> {
  try {
    const body = (await response.clone().json()) as Record<string, unknown>;
    const errors = Array.isArray(body.errors) ? (body.errors as Record<string, unknown>[]) : [];
    const errorCode = (body.errorCode ?? errors[0]?.errorCode ?? body.error ?? null) as string | null;
    const message = (body.message ?? body.error_description ?? errors[0]?.message ?? null) as string | null;
    return { errorCode, message };
  } catch {
    return { errorCode: null, message: null };
  }
}

export interface FailureContext {
  route: string;
  /** The SDK raised it while refreshing the session, not for the request itself. */
  duringRefresh: boolean;
  limiter: UserRateLimiter;
  policy: RetryPolicy;
}

/** What a failed call means; tells the limiter what the answer's rate-limit headers said. */
export async function classifyFailure(error: SdkError, context: FailureContext): Promise<Failure> {
  const { route, duringRefresh, limiter, policy } = context;
  const response = error.response ?? null;
  if (!response) {
    // The SDK's own refresh checks fail without a response ("Refresh token is missing/has expired").
    if (duringRefresh && /^Refresh token/i.test(error.message)) return { kind: "session-lost", reason: error.message };
    if (error instanceof RingCentralLoginRequiredError || error instanceof RingCentralAuthError) {
      return { kind: "final", error };
    }
    return { kind: "unavailable", status: null, reason: error.message };
  }
  const status = response.status;
  const headers = rateLimitHeadersOf(response.headers);
  // A refresh's answer is about the token endpoint, not the request that triggered it.
  const answered = duringRefresh ? routeKey("POST", TOKEN_PATH) : route;
  if (status === 429) {
    // A 429 also says `Remaining: 0` with the window; the penalty is `Retry-After`, not the window
    // (holding the group for the window froze ingestion for 60 s after a 4 s Retry-After).
    limiter.learnGroup(answered, headers.group);
    const retryAfterSeconds = retryAfterSecondsOf(response.headers) ?? policy.defaultRetryAfterSeconds;
    limiter.penalize(answered, headers.group, retryAfterSeconds * policy.secondMs);
    return { kind: "rate-limited", retryAfterSeconds, group: headers.group };
  }
  limiter.observe(answered, headers, policy.secondMs);
  if (status >= 500) return { kind: "unavailable", status, reason: `HTTP ${status}` };
  const body = await errorBodyOf(response);
  const message = body.message ?? `RingCentral answered ${status}`;
  if (duringRefresh && (status === 400 || status === 401)) {
    return { kind: "session-lost", reason: body.errorCode ?? `HTTP ${status}` };
  }
  if (status === 401 || (status === 400 && route.endsWith(TOKEN_PATH))) {
    const refused = new RingCentralAuthError(`RingCentral refused the credentials: ${message}`, body.errorCode);
    return { kind: "final", error: refused };
  }
  if (status === 403) {
    const denied = new RingCentralPermissionError(`RingCentral denied the request: ${message}`, body.errorCode);
    return { kind: "final", error: denied };
  }
  return {
    kind: "final",
    error: new RingCentralRequestError(`RingCentral rejected the request: ${message}`, status, body.errorCode),
  };
}

/** The error of a call that was retried as often as the policy allows. */
export function exhaustedError(failure: Extract<Failure, { kind: "rate-limited" | "unavailable" }>): Error {
  if (failure.kind === "rate-limited") {
    return new RingCentralRateLimitError(
      `RingCentral is rate limiting this user: try again in ${failure.retryAfterSeconds} s`,
      failure.retryAfterSeconds,
    );
  }
  return new RingCentralUnavailableError(
    failure.status ? `RingCentral is unavailable (HTTP ${failure.status})` : "RingCentral could not be reached",
    failure.status,
  );
}
