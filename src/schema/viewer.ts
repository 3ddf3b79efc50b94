// Access to the viewer from resolvers. Root types require authentication (builder.ts), so a
// missing viewer here means a field was reached without it: refuse rather than leak.
import { GraphQLError } from "graphql";
import type { Context } from "../context.ts";
import type { Viewer } from "../domain/access.ts";

export function viewerOf(ctx: Context): Viewer {
  if (!ctx.viewer) throw new GraphQLError("Authentication required", { extensions: { code: "UNAUTHENTICATED" } });
  return ctx.viewer;
}
