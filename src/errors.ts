// What a client sees when something fails: a GraphQL error with a stable `extensions.code`, never
// a stack trace. Expected failures keep their message; anything else is logged and masked.
import { GraphQLError } from "graphql";
import { PothosValidationError } from "@pothos/core";
import { ConflictError, DomainError, InvalidInputError } from "./domain/errors.ts";
import type { Logger } from "./logger.ts";

/** yoga's HTTP hints (`extensions.http`: a status and headers, e.g. 429 with Retry-After, 400 for a document that does not parse
 * or 413 for a body over the limit) of a request-level error; yoga removes them from the response. */
function httpHintsOf(...errors: unknown[]): Record<string, unknown> {
  for (const error of errors) {
    const http = error instanceof GraphQLError ? error.extensions?.http : undefined;
    if (http) return { http };
  }
  return {};
}

function codedError(
  message: string,
  code: string,
  original: GraphQLError | undefined,
  extra: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, {
    nodes: original?.nodes,
    path: original?.path,
    extensions: { code, ...extra, ...httpHintsOf(original, original?.originalError) },
  });
}

/** The input field a domain error names (`extensions.field`), as mutations' typed errors expose it. */
function fieldOf(error: DomainError): Record<string, unknown> {
  return error instanceof InvalidInputError || error instanceof ConflictError ? { field: error.field } : {};
}

export function maskErrorFor(log: Logger) {
  return (error: unknown): Error => {
    const graphqlError = error instanceof GraphQLError ? error : undefined;
    const original = graphqlError?.originalError ?? (error as Error);
    if (original instanceof GraphQLError && original.extensions?.code)
      return codedError(original.message, String(original.extensions.code), graphqlError);
    if (graphqlError && !graphqlError.originalError && graphqlError.extensions?.code) return graphqlError;
    if (original instanceof DomainError)
      return codedError(original.message, original.code, graphqlError, fieldOf(original));
    if (original instanceof PothosValidationError) return codedError(original.message, "BAD_USER_INPUT", graphqlError);
    // A variable value its type rejects: graphql-js wraps the scalar's or enum's own GraphQLError,
    // before execution (so without a path). The client's mistake, not ours.
    if (graphqlError && !graphqlError.path && original instanceof GraphQLError)
      return codedError(graphqlError.message, "BAD_USER_INPUT", graphqlError);
    if (graphqlError && !graphqlError.originalError)
      return codedError(graphqlError.message, "GRAPHQL_VALIDATION_FAILED", graphqlError);
    // The database refused an input value (e.g. "abc" for a uuid column) that reached it unchecked.
    if ((original as { code?: unknown }).code === "P2007") {
      log.warn({ err: original, path: graphqlError?.path }, "the database rejected an input value");
      return codedError("An input value is malformed.", "BAD_USER_INPUT", graphqlError);
    }
    log.error({ err: original, path: graphqlError?.path }, "unexpected error in a GraphQL operation");
    return codedError("Unexpected error.", "INTERNAL_SERVER_ERROR", graphqlError);
  };
}
