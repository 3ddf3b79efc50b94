// What a client sees when something fails: a GraphQL error with a stable `extensions.code`, never
// a stack trace. Expected failures keep their message; anything else is logged and masked.
import { GraphQLError } from "graphql";
import { PothosValidationError } from "@pothos/core";
import { DomainError } from "./domain/errors.ts";
import type { Logger } from "./logger.ts";

function codedError(message: string, code: string, original: GraphQLError | undefined): GraphQLError {
  // yoga reads `http` (status, headers: a 429's Retry-After) and leaves it out of the response body.
  const http = original?.extensions?.http;
  return new GraphQLError(message, {
    nodes: original?.nodes,
    path: original?.path,
    extensions: http === undefined ? { code } : { code, http },
  });
}

export function maskErrorFor(log: Logger) {
  return (error: unknown): Error => {
    const graphqlError = error instanceof GraphQLError ? error : undefined;
    const original = graphqlError?.originalError ?? (error as Error);
    if (original instanceof GraphQLError && original.extensions?.code)
      return codedError(original.message, String(original.extensions.code), graphqlError);
    if (graphqlError && !graphqlError.originalError && graphqlError.extensions?.code) return graphqlError;
    if (original instanceof DomainError) return codedError(original.message, original.code, graphqlError);
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
