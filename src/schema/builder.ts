// The Pothos schema builder: prisma, relay, scope-auth and errors plugins. Fields are non-null by
// default (a mistyped field must fail type-checking, not resolve to null).
import SchemaBuilder from "@pothos/core";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import { GraphQLError } from "graphql";
import { DateTimeResolver, JSONObjectResolver } from "graphql-scalars";
import type PrismaTypes from "../generated/pothos-prisma-types.ts";
import { getDatamodel } from "../generated/pothos-prisma-types.ts";
import type { Context } from "../context.ts";
import { unauthenticatedError } from "./viewer.ts";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "../domain/errors.ts";
import { isUuid } from "../domain/tokens.ts";

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { authenticated: boolean; admin: boolean };
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSONObject: { Input: Record<string, unknown>; Output: unknown };
    ID: { Input: string; Output: string | number | bigint };
    /** A file uploaded with a GraphQL multipart request (graphql-yoga), input only. */
    File: { Input: { name: string; type: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }; Output: never };
  };
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({ authenticated: ctx.viewer !== null, admin: ctx.viewer?.role === "ADMIN" }),
    unauthorizedError: (_parent, ctx) =>
      ctx.viewer
        ? new GraphQLError("This needs an admin", { extensions: { code: "FORBIDDEN" } })
        : unauthenticatedError(ctx),
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodeQueryOptions: {
      description: "Fetches any object by its global id; null when it does not exist or is not visible to you.",
      args: { id: { description: "A global id." } },
    },
    nodesQueryOptions: {
      description:
        "Fetches objects by global ids, in order; null for each that does not exist or is not visible to you.",
      args: { ids: { description: "Global ids (at most 100)." } },
    },
    pageInfoTypeOptions: { description: "Where a page sits in a connection (Relay cursor pagination)." },
    decodeGlobalID: decodeGlobalIdOrFail,
    defaultConnectionTypeOptions: { description: "A page of results (Relay cursor connection)." },
    defaultEdgeTypeOptions: { description: "One result and its cursor." },
    edgesFieldOptions: { description: "The results on this page." },
    nodeFieldOptions: { description: "The result." },
    cursorFieldOptions: { description: "Pass as `after` (or `before`) to page from here." },
    pageInfoFieldOptions: { description: "Whether there are more pages, and the cursors to fetch them." },
    hasNextPageFieldOptions: { description: "Whether more results follow this page." },
    hasPreviousPageFieldOptions: { description: "Whether results precede this page." },
    startCursorFieldOptions: { description: "The cursor of the first result on this page." },
    endCursorFieldOptions: { description: "The cursor of the last result on this page." },
    firstArgOptions: { description: "Return at most this many results from the start (max 100)." },
    lastArgOptions: { description: "Return at most this many results from the end (max 100)." },
    afterArgOptions: { description: "Return results after this cursor." },
    beforeArgOptions: { description: "Return results before this cursor." },
    nodeTypeOptions: { description: "An object with a global id, fetchable with `node(id:)`." },
    idFieldOptions: { description: "Global id." },
  },
  // Every field with `errors: {}` (the mutations) may return these; RingCentral mutations add theirs.
  errors: {
    defaultTypes: [NotFoundError, InvalidInputError, ConflictError, ForbiddenError],
    directResult: true,
    defaultUnionOptions: { description: "The mutation's payload, or one of the expected errors." },
  },
});

// Every object's id is a UUID: checking the shape here keeps malformed ids away from the database.
const withoutPadding = (base64: string) => base64.replace(/=+$/, "");

/** A global id is base64("Type:id"); anything else is a client error, not a server one. */
function decodeGlobalIdOrFail(globalID: string) {
  const decoded = Buffer.from(globalID, "base64").toString("utf8");
  const separator = decoded.indexOf(":");
  const isCanonical = withoutPadding(Buffer.from(decoded, "utf8").toString("base64")) === withoutPadding(globalID);
  if (separator <= 0 || !isCanonical || !isUuid(decoded.slice(separator + 1))) {
    throw new GraphQLError(`"${globalID}" is not a valid id`, { extensions: { code: "BAD_USER_INPUT" } });
  }
  return { typename: decoded.slice(0, separator), id: decoded.slice(separator + 1) };
}

builder.addScalarType("DateTime", DateTimeResolver, {});
builder.addScalarType("JSONObject", JSONObjectResolver, {});

builder.queryType({
  description: "Everything a client can read. Every field needs a bearer token.",
  authScopes: { authenticated: true },
});
builder.mutationType({
  description: "Every change. Expected failures are returned as typed errors in each field's result union.",
  authScopes: { authenticated: true },
});
builder.subscriptionType({
  description: "Live events over graphql-ws on /graphql (authenticate with connectionParams.authorization).",
  authScopes: { authenticated: true },
});
