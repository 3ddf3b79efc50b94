import { builder } from "./builder.ts";
import { ConversationStatusEnum } from "./conversations.ts";
import { UserRef } from "./users.ts";
import { visibleChannels, visibleInboxes } from "../domain/access.ts";
import { viewerOf } from "./viewer.ts";

export const InboxRef = builder.prismaNode("Inbox", {
  nullable: true,
  description: "A shared inbox: its members handle the conversations of the channels routed to it.",
  id: { field: "id", description: "Global id." },
  findUnique: (id, ctx) => ({ id, AND: [visibleInboxes(viewerOf(ctx))] }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique name." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the inbox was created." }),
    timeZone: t.exposeString("timeZone", { description: "The IANA time zone of its business hours." }),
    businessHours: t.field({
      type: ["JSONObject"],
      nullable: true,
      description: 'Weekly business hours, `{day: 1 (Monday)–7, start: "HH:MM", end: "HH:MM"}`; null: always open.',
      resolve: (inbox) => inbox.businessHours as Record<string, unknown>[] | null,
    }),
    holidays: t.exposeStringList("holidays", { description: "Closed dates (YYYY-MM-DD, in its time zone)." }),
    members: t.prismaField({
      type: ["User"],
      description: "The users who work in this inbox.",
      select: (_args, _ctx, nestedSelection) => ({ members: { select: { user: nestedSelection(true) } } }),
      resolve: (_query, inbox) => inbox.members.map((m) => m.user),
    }),
    channels: t.relation("channels", {
      description: "Connected numbers whose calls and messages land here.",
      query: { where: { disconnectedAt: null }, orderBy: { createdAt: "asc" } },
    }),
    conversations: t.prismaConnection({
      type: "Conversation",
      cursor: "id",
      description: "Conversations in this inbox, most recent activity first.",
      args: {
        status: t.arg({ type: ConversationStatusEnum, required: false, description: "Only this status." }),
        assigneeId: t.arg.globalID({ required: false, for: UserRef, description: "Only those assigned to this user." }),
        unassigned: t.arg.boolean({ required: false, description: "Only those nobody is assigned to." }),
      },
      resolve: (query, inbox, args, ctx) =>
        ctx.prisma.conversation.findMany({
          ...query,
          where: {
            AND: [
              { inboxes: { some: { inboxId: inbox.id } } },
              args.status ? { status: args.status } : {},
              args.assigneeId ? { assigneeId: args.assigneeId.id } : {},
              args.unassigned ? { assigneeId: null } : {},
            ],
          },
          orderBy: [{ lastActivityAt: "desc" }, { id: "desc" }],
        }),
    }),
  }),
});

export const ChannelTypeEnum = builder.enumType("ChannelType", {
  description: "What a channel carries; one number can be connected once per type.",
  values: { VOICE: { description: "Voice calls." }, SMS: { description: "SMS and MMS." } } as const,
});

export const ChannelRef = builder.prismaNode("Channel", {
  nullable: true,
  description: "A connected RingCentral phone number routed to an inbox.",
  id: { field: "id", description: "Global id." },
  findUnique: (id, ctx) => ({ id, AND: [visibleChannels(viewerOf(ctx))] }),
  fields: (t) => ({
    type: t.expose("type", { type: ChannelTypeEnum, description: "VOICE or SMS." }),
    phoneNumber: t.exposeString("phoneNumber", { description: "The number, E.164." }),
    label: t.exposeString("label", { nullable: true, description: "RingCentral's label for the number." }),
    inbox: t.relation("inbox", { description: "Where its conversations land." }),
    closeAfterSeconds: t.exposeInt("closeAfterSeconds", {
      nullable: true,
      description: "SMS: archive conversations after this much inactivity; null = never.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was connected." }),
  }),
});
