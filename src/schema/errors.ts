// Typed errors returned in mutation results (expected failures, not exceptions).
import { ConflictError, type DomainError, ForbiddenError, InvalidInputError, NotFoundError } from "../domain/errors.ts";
import {
  EncryptionKeyRequiredError,
  RingCentralAuthError,
  RingCentralLoginRequiredError,
  RingCentralNotConnectedError,
  RingCentralPermissionError,
  RingCentralRateLimitError,
  RingCentralRequestError,
  RingCentralUnavailableError,
} from "../domain/ringcentral-errors.ts";
import { builder } from "./builder.ts";

export const ErrorInterface = builder.interfaceRef<DomainError>("Error").implement({
  description: "An expected failure of a mutation. `code` is stable; `message` is for people.",
  fields: (t) => ({
    message: t.exposeString("message", { description: "What went wrong, in words." }),
    code: t.exposeString("code", {
      description:
        "NOT_FOUND, BAD_USER_INPUT, CONFLICT, FORBIDDEN, or a RingCentral failure: RINGCENTRAL_AUTH_FAILED, " +
        "RINGCENTRAL_PERMISSION_DENIED, RINGCENTRAL_RATE_LIMITED, RINGCENTRAL_UNAVAILABLE, " +
        "RINGCENTRAL_REQUEST_REJECTED, RINGCENTRAL_LOGIN_REQUIRED, RINGCENTRAL_NOT_CONNECTED, " +
        "ENCRYPTION_KEY_REQUIRED.",
    }),
  }),
});

/** The options every error type shares: named after its class, implementing `Error`. */
function errorType(errorClass: abstract new (...args: never[]) => DomainError, description: string) {
  return {
    name: errorClass.name,
    description,
    interfaces: [ErrorInterface] as [typeof ErrorInterface],
    isTypeOf: (value: unknown) => value instanceof errorClass,
  };
}

const ringCentralCode = (example: string) => ({
  nullable: true as const,
  description: `RingCentral's own error code${example ? `, e.g. ${example}` : ""}.`,
});

builder.objectType(NotFoundError, {
  ...errorType(NotFoundError, "The object does not exist or you may not see it (the two look the same)."),
  fields: (t) => ({ entity: t.exposeString("entity", { description: "The kind of object that was not found." }) }),
});
builder.objectType(InvalidInputError, {
  ...errorType(InvalidInputError, "An input value was rejected before anything changed."),
  fields: (t) => ({
    field: t.exposeString("field", { description: "The input field at fault, e.g. `phoneNumbers.0.number`." }),
  }),
});
builder.objectType(ConflictError, {
  ...errorType(ConflictError, "The change would clash with existing data (a unique email, name or phone number)."),
  fields: (t) => ({ field: t.exposeString("field", { description: "The input field that clashes." }) }),
});
builder.objectType(ForbiddenError, errorType(ForbiddenError, "You may not do this."));
builder.objectType(RingCentralAuthError, {
  ...errorType(
    RingCentralAuthError,
    "RingCentral refused the credentials: wrong client id or secret, an invalid or revoked JWT.",
  ),
  fields: (t) => ({ ringCentralCode: t.exposeString("ringCentralCode", ringCentralCode("OAU-140")) }),
});
builder.objectType(RingCentralPermissionError, {
  ...errorType(
    RingCentralPermissionError,
    "The RingCentral extension or app lacks a permission (for connecting: the extension is not a RingCentral admin).",
  ),
  fields: (t) => ({ ringCentralCode: t.exposeString("ringCentralCode", ringCentralCode("CMN-401")) }),
});
builder.objectType(RingCentralRateLimitError, {
  ...errorType(
    RingCentralRateLimitError,
    "RingCentral kept rate limiting the request after Switchboard waited and retried.",
  ),
  fields: (t) => ({
    retryAfterSeconds: t.exposeFloat("retryAfterSeconds", {
      description: "How long RingCentral asked to wait, in seconds.",
    }),
  }),
});
builder.objectType(RingCentralUnavailableError, {
  ...errorType(
    RingCentralUnavailableError,
    "RingCentral could not be reached or answered with a server error, after retries.",
  ),
  fields: (t) => ({
    status: t.exposeInt("status", { nullable: true, description: "The HTTP status; null when there was no answer." }),
  }),
});
builder.objectType(RingCentralRequestError, {
  ...errorType(
    RingCentralRequestError,
    "RingCentral rejected the request itself (an invalid parameter, an unknown id).",
  ),
  fields: (t) => ({
    status: t.exposeInt("status", { description: "The HTTP status RingCentral answered." }),
    ringCentralCode: t.exposeString("ringCentralCode", ringCentralCode("")),
  }),
});
builder.objectType(
  RingCentralLoginRequiredError,
  errorType(
    RingCentralLoginRequiredError,
    "Your own RingCentral login is missing or expired: connect it with `connectRingCentralLogin`.",
  ),
);
builder.objectType(
  RingCentralNotConnectedError,
  errorType(
    RingCentralNotConnectedError,
    "No RingCentral account is connected yet: an admin must run `verifyRingCentralCredentials` first.",
  ),
);
builder.objectType(
  EncryptionKeyRequiredError,
  errorType(
    EncryptionKeyRequiredError,
    "Credentials cannot be stored because no encryption key is configured (set ENCRYPTION_KEY).",
  ),
);

/** The errors of mutations that call RingCentral (connecting, sending SMS, call control), besides
 * the builder's default ones (src/schema/builder.ts) every mutation may return. */
export const RING_CENTRAL_ERRORS = [
  RingCentralAuthError,
  RingCentralPermissionError,
  RingCentralRateLimitError,
  RingCentralUnavailableError,
  RingCentralRequestError,
  RingCentralLoginRequiredError,
  RingCentralNotConnectedError,
  EncryptionKeyRequiredError,
];
