// Typed errors returned in mutation results (expected failures, not exceptions).
import { ConflictError, DomainError, ForbiddenError, InvalidInputError, NotFoundError } from "../domain/errors.ts";
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
        "NOT_FOUND, BAD_USER_INPUT, CONFLICT, FORBIDDEN, or a RingCentral failure: RINGCENTRAL_AUTH_FAILED, RINGCENTRAL_PERMISSION_DENIED, RINGCENTRAL_RATE_LIMITED, RINGCENTRAL_UNAVAILABLE, RINGCENTRAL_REQUEST_REJECTED, RINGCENTRAL_LOGIN_REQUIRED, RINGCENTRAL_NOT_CONNECTED, ENCRYPTION_KEY_REQUIRED.",
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "The object does not exist or you may not see it (the two look the same).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({ entity: t.exposeString("entity", { description: "The kind of object that was not found." }) }),
});

builder.objectType(InvalidInputError, {
  name: "InvalidInputError",
  description: "An input value was rejected before anything changed.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InvalidInputError,
  fields: (t) => ({ field: t.exposeString("field", { description: "The input field at fault, e.g. `phoneNumbers.0.number`." }) }),
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  description: "The change would clash with existing data (a unique email, name or phone number).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
  fields: (t) => ({ field: t.exposeString("field", { description: "The input field that clashes." }) }),
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  description: "You may not do this.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ForbiddenError,
});

builder.objectType(RingCentralAuthError, {
  name: "RingCentralAuthError",
  description: "RingCentral refused the credentials: wrong client id or secret, an invalid or revoked JWT.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RingCentralAuthError,
  fields: (t) => ({
    ringCentralCode: t.exposeString("ringCentralCode", { nullable: true, description: "RingCentral's own error code, e.g. OAU-140." }),
  }),
});

builder.objectType(RingCentralPermissionError, {
  name: "RingCentralPermissionError",
  description: "The RingCentral extension or app lacks a permission (for connecting: the extension is not a RingCentral admin).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RingCentralPermissionError,
  fields: (t) => ({
    ringCentralCode: t.exposeString("ringCentralCode", { nullable: true, description: "RingCentral's own error code, e.g. CMN-401." }),
  }),
});

builder.objectType(RingCentralRateLimitError, {
  name: "RingCentralRateLimitError",
  description: "RingCentral kept rate limiting the request after Switchboard waited and retried.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RingCentralRateLimitError,
  fields: (t) => ({
    retryAfterSeconds: t.exposeFloat("retryAfterSeconds", { description: "How long RingCentral asked to wait, in seconds." }),
  }),
});

builder.objectType(RingCentralUnavailableError, {
  name: "RingCentralUnavailableError",
  description: "RingCentral could not be reached or answered with a server error, after retries.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RingCentralUnavailableError,
  fields: (t) => ({ status: t.exposeInt("status", { nullable: true, description: "The HTTP status; null when there was no answer." }) }),
});

builder.objectType(RingCentralRequestError, {
  name: "RingCentralRequestError",
  description: "RingCentral rejected the request itself (an invalid parameter, an unknown id).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RingCentralRequestError,
  fields: (t) => ({
    status: t.exposeInt("status", { description: "The HTTP status RingCentral answered." }),
    ringCentralCode: t.exposeString("ringCentralCode", { nullable: true, description: "RingCentral's own error code." }),
  }),
});

builder.objectType(RingCentralLoginRequiredError, {
  name: "RingCentralLoginRequiredError",
  description: "Your own RingCentral login is missing or expired: connect it with `connectRingCentralLogin` (R2.5).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RingCentralLoginRequiredError,
});

builder.objectType(RingCentralNotConnectedError, {
  name: "RingCentralNotConnectedError",
  description: "No RingCentral account is connected yet: an admin must run `verifyRingCentralCredentials` first.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RingCentralNotConnectedError,
});

builder.objectType(EncryptionKeyRequiredError, {
  name: "EncryptionKeyRequiredError",
  description: "Credentials cannot be stored because no encryption key is configured (set ENCRYPTION_KEY).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof EncryptionKeyRequiredError,
});

const BASIC_ERRORS = [NotFoundError, InvalidInputError, ConflictError, ForbiddenError];

/** The errors every mutation may return. */
export const mutationErrors = { types: BASIC_ERRORS, directResult: true as const };

/** …and those of mutations that call RingCentral (connecting, sending SMS, call control). */
export const ringCentralMutationErrors = {
  types: [
    ...BASIC_ERRORS,
    RingCentralAuthError,
    RingCentralPermissionError,
    RingCentralRateLimitError,
    RingCentralUnavailableError,
    RingCentralRequestError,
    RingCentralLoginRequiredError,
    RingCentralNotConnectedError,
    EncryptionKeyRequiredError,
  ],
  directResult: true as const,
};
