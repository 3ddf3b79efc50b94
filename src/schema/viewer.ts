// Access to the viewer from resolvers. Root types require authentication (builder.ts), so a
// missing viewer here means a field was reached without it: refuse rather than leak.
import { GraphQLError } from "graphql";
import type { Context } from "../context.ts";
import type { Viewer } from "../domain/access.ts";

export function viewerOf(ctx: Context): Viewer {
  if (!ctx.viewer) throw unauthenticatedError(ctx);
  return ctx.viewer;
}

/** No viewer: a client that sent no token and one whose token is refused need different fixes. */
export function unauthenticatedError(ctx: Pick<Context, "tokenPresented">): GraphQLError {
  const message = ctx.tokenPresented
    ? "This API token is not valid (unknown or revoked)"
    : "Authentication required: send the header Authorization: Bearer <token>";
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED" } });
}
