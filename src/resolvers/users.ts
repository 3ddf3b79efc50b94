import { builder } from "../schema/builder.ts";
import { viewerOf } from "../schema/viewer.ts";
import { AgentStatusEnum, RoleEnum, UserRef } from "../schema/users.ts";
import { ApiTokenPayload, CreateApiTokenPayload, UserPayload } from "../schema/payloads.ts";
import { createUser, setUserStatus, updateUserPreferences } from "../domain/users.ts";
import { createApiToken, isUuid, revokeApiToken } from "../domain/tokens.ts";
import { GraphQLError } from "graphql";
import { NotFoundError } from "../domain/errors.ts";
import { isAdmin } from "../domain/access.ts";

builder.queryFields((t) => ({
  viewer: t.prismaField({
    type: "User",
    description: "The user the bearer token belongs to.",
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: viewerOf(ctx).id } }),
  }),
  users: t.prismaConnection({
    type: "User",
    cursor: "id",
    description: "Everyone on the team, by name.",
    args: { search: t.arg.string({ required: false, description: "Part of a name or email." }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.user.findMany({
        ...query,
        where: args.search
          ? {
              OR: [
                { name: { contains: args.search, mode: "insensitive" } },
                { email: { contains: args.search, mode: "insensitive" } },
              ],
            }
          : {},
        orderBy: [{ name: "asc" }, { id: "asc" }],
      }),
  }),
}));

builder.mutationFields((t) => ({
  createUser: t.field({
    type: UserPayload,
    description: "Admins: add a user.",
    authScopes: { admin: true },
    errors: {},
    args: {
      email: t.arg.string({ required: true, description: "Unique, case-insensitive." }),
      name: t.arg.string({ required: true, description: "Display name." }),
      role: t.arg({ type: RoleEnum, required: false, description: "Defaults to AGENT." }),
    },
    resolve: async (_root, args, ctx) => ({
      user: await createUser(ctx.prisma, { email: args.email, name: args.name, role: args.role ?? "AGENT" }),
    }),
  }),
  updateViewer: t.field({
    type: UserPayload,
    description: "Change your own name or notification preferences.",
    errors: {},
    args: {
      name: t.arg.string({ required: false, description: "New display name." }),
      muteIncomingCallBanner: t.arg.boolean({
        required: false,
        description: "Mute and hide the incoming call banner.",
      }),
    },
    resolve: async (_root, args, ctx) => ({ user: await updateUserPreferences(ctx.prisma, viewerOf(ctx).id, args) }),
  }),
  setStatus: t.field({
    type: UserPayload,
    description: "Set your availability.",
    errors: {},
    args: { status: t.arg({ type: AgentStatusEnum, required: true, description: "The new status." }) },
    resolve: async (_root, args, ctx) => ({ user: await setUserStatus(ctx, viewerOf(ctx).id, args.status) }),
  }),
  createApiToken: t.field({
    type: CreateApiTokenPayload,
    description: "Create a bearer token for yourself, or (admins) for another user.",
    errors: {},
    args: {
      userId: t.arg.globalID({
        for: UserRef,
        required: false,
        description: "Whose token; defaults to you. Admins only for others.",
      }),
      name: t.arg.string({ required: false, description: "A label, e.g. the client using it." }),
    },
    resolve: async (_root, args, ctx) => {
      const viewer = viewerOf(ctx);
      const userId = args.userId?.id ?? viewer.id;
      if (userId !== viewer.id && !isAdmin(viewer)) throw new NotFoundError("User");
      if (!(await ctx.prisma.user.findUnique({ where: { id: userId } }))) throw new NotFoundError("User");
      const { token, record } = await createApiToken(ctx.prisma, userId, args.name ?? "default");
      return { token, apiToken: record };
    },
  }),
  revokeApiToken: t.field({
    type: ApiTokenPayload,
    description: "Revoke a token (your own; admins: anyone's). Requests with it fail from then on.",
    errors: {},
    args: { id: t.arg.id({ required: true, description: "The token's id (not its value)." }) },
    resolve: async (_root, args, ctx) => {
      // A token id is a UUID; anything else is a malformed request, like a malformed global id.
      if (!isUuid(String(args.id)))
        throw new GraphQLError(`"${String(args.id)}" is not a token id`, { extensions: { code: "BAD_USER_INPUT" } });
      return { apiToken: await revokeApiToken(ctx, String(args.id), viewerOf(ctx)) };
    },
  }),
}));
