// Typed errors returned in mutation results (expected failures, not exceptions).
import { ConflictError, DomainError, ForbiddenError, InvalidInputError, NotFoundError } from "../domain/errors.ts";
import { builder } from "./builder.ts";

export const ErrorInterface = builder.interfaceRef<DomainError>("Error").implement({
  description: "An expected failure of a mutation. `code` is stable; `message` is for people.",
  fields: (t) => ({
    message: t.exposeString("message", { description: "What went wrong, in words." }),
    code: t.exposeString("code", { description: "NOT_FOUND, BAD_USER_INPUT, CONFLICT or FORBIDDEN." }),
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

/** The errors every mutation may return. */
export const mutationErrors = {
  types: [NotFoundError, InvalidInputError, ConflictError, ForbiddenError],
  directResult: true as const,
};
