import { builder } from "../schema/builder.ts";
import { viewerOf } from "../schema/viewer.ts";
import { InboxRef } from "../schema/inboxes.ts";
import { UserRef } from "../schema/users.ts";
import { InboxPayload } from "../schema/payloads.ts";
import { visibleChannels, visibleInboxes } from "../domain/access.ts";
import {
  addInboxMember,
  createInbox,
  removeInboxMember,
  renameInbox,
  setInboxBusinessHours,
} from "../domain/inboxes.ts";

builder.queryFields((t) => ({
  inboxes: t.prismaField({
    type: ["Inbox"],
    description: "The inboxes you can see (agents: those you are a member of), by name.",
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.inbox.findMany({ ...query, where: visibleInboxes(viewerOf(ctx)), orderBy: { name: "asc" } }),
  }),
  channels: t.prismaField({
    type: ["Channel"],
    description: "Connected numbers routed to inboxes you can see.",
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.channel.findMany({
        ...query,
        where: { AND: [visibleChannels(viewerOf(ctx)), { disconnectedAt: null }] },
        orderBy: [{ phoneNumber: "asc" }, { type: "asc" }],
      }),
  }),
}));

builder.mutationFields((t) => ({
  createInbox: t.field({
    type: InboxPayload,
    description: "Admins: create an inbox.",
    authScopes: { admin: true },
    errors: {},
    args: { name: t.arg.string({ required: true, description: "Unique name." }) },
    resolve: async (_root, args, ctx) => ({ inbox: await createInbox(ctx.prisma, { name: args.name }) }),
  }),
  renameInbox: t.field({
    type: InboxPayload,
    description: "Admins: rename an inbox.",
    authScopes: { admin: true },
    errors: {},
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      name: t.arg.string({ required: true, description: "New unique name." }),
    },
    resolve: async (_root, args, ctx) => ({ inbox: await renameInbox(ctx.prisma, args.inboxId.id, args.name) }),
  }),
  addInboxMember: t.field({
    type: InboxPayload,
    description: "Admins: give a user access to an inbox.",
    authScopes: { admin: true },
    errors: {},
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      userId: t.arg.globalID({ for: UserRef, required: true, description: "The user." }),
    },
    resolve: async (_root, args, ctx) => ({ inbox: await addInboxMember(ctx, args.inboxId.id, args.userId.id) }),
  }),
  removeInboxMember: t.field({
    type: InboxPayload,
    description: "Admins: take a user's access to an inbox away.",
    authScopes: { admin: true },
    errors: {},
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      userId: t.arg.globalID({ for: UserRef, required: true, description: "The user." }),
    },
    resolve: async (_root, args, ctx) => ({
      inbox: await removeInboxMember(ctx, args.inboxId.id, args.userId.id),
    }),
  }),
  setInboxBusinessHours: t.field({
    type: InboxPayload,
    description: "Admins: set an inbox's business hours (used by rules' BUSINESS_HOURS condition).",
    authScopes: { admin: true },
    errors: {},
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      timeZone: t.arg.string({ required: true, description: "IANA time zone, e.g. America/New_York." }),
      schedule: t.arg({
        type: ["JSONObject"],
        required: false,
        description: 'Open periods `{day: 1 (Monday)–7, start: "09:00", end: "17:00"}`; null: always open.',
      }),
      holidays: t.arg.stringList({ required: false, description: "Closed dates, YYYY-MM-DD." }),
    },
    resolve: async (_root, args, ctx) => ({
      inbox: await setInboxBusinessHours(ctx.prisma, args.inboxId.id, {
        timeZone: args.timeZone,
        schedule: args.schedule ?? null,
        holidays: args.holidays ?? [],
      }),
    }),
  }),
}));
