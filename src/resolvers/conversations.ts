import { builder } from "../schema/builder.ts";
import { viewerOf } from "../schema/viewer.ts";
import { queryFromInfo } from "@pothos/plugin-prisma";
import {
  ConversationCountsRef,
  ConversationOrderEnum,
  ConversationRef,
  ConversationStatusEnum,
  SearchHighlightRef,
  TagRef,
} from "../schema/conversations.ts";
import { ChannelRef, ChannelTypeEnum, InboxRef } from "../schema/inboxes.ts";
import { ContactRef } from "../schema/contacts.ts";
import type { Context } from "../context.ts";
import { UserRef } from "../schema/users.ts";
import { CallRef, CallStatusEnum, RecordingRef } from "../schema/calls.ts";
import {
  CommentPayload,
  ConversationPayload,
  MoveCallPayload,
  SplitConversationPayload,
  TagPayload,
} from "../schema/payloads.ts";
import { moveCallToConversation, splitConversation } from "../domain/conversation-moves.ts";
import { ConversationEventRef, MentionEventRef } from "../schema/events.ts";
import {
  countConversations,
  listConversations,
  searchHighlights,
  type ConversationFilterInput,
  type SearchHighlight,
} from "../domain/conversation-lists.ts";
import {
  addComment,
  archiveConversation,
  assignConversation,
  reopenConversation,
  tagConversation,
  unassignConversation,
  untagConversation,
} from "../domain/conversations.ts";
import { createTag, deleteTag } from "../domain/tags.ts";
import { inboxEventStream, viewerEventStream, EVENT_IS_RESULT } from "./event-streams.ts";

const TagFilter = builder.inputType("TagFilter", {
  description: "Conditions on a conversation's tags; all given ones must hold.",
  fields: (t) => ({
    any: t.globalIDList({ for: TagRef, required: false, description: "Tagged with at least one of these." }),
    all: t.globalIDList({ for: TagRef, required: false, description: "Tagged with every one of these." }),
    none: t.globalIDList({ for: TagRef, required: false, description: "Tagged with none of these." }),
  }),
});

const DateRange = builder.inputType("DateRange", {
  description: "A time range: from `from` (included) to `to` (excluded); either end may be left open.",
  fields: (t) => ({
    from: t.field({ type: "DateTime", required: false, description: "Start, included." }),
    to: t.field({ type: "DateTime", required: false, description: "End, excluded." }),
  }),
});

const ConversationFilter = builder.inputType("ConversationFilter", {
  description:
    "Narrows a conversation list; all given fields must match. An empty list of inboxes, channels, call " +
    "outcomes or `tags.any` matches nothing. Only conversations you can see are ever considered.",
  fields: (t) => ({
    inboxId: t.globalID({ for: InboxRef, required: false, description: "Only conversations in this inbox." }),
    inboxIds: t.globalIDList({ for: InboxRef, required: false, description: "Only those in one of these inboxes." }),
    status: t.field({ type: ConversationStatusEnum, required: false, description: "Only this status." }),
    assigneeId: t.globalID({ for: UserRef, required: false, description: "Only those assigned to this user." }),
    unassigned: t.boolean({ required: false, description: "Only those nobody is assigned to." }),
    mine: t.boolean({ required: false, description: "Only those assigned to you." }),
    tags: t.field({ type: TagFilter, required: false, description: "Conditions on their tags." }),
    channelIds: t.globalIDList({
      for: ChannelRef,
      required: false,
      description: "Only those started on one of these channels.",
    }),
    channelType: t.field({
      type: ChannelTypeEnum,
      required: false,
      description: "Only those started on a channel of this type.",
    }),
    lastCallOutcome: t.field({
      type: [CallStatusEnum],
      required: false,
      description: "Only those whose most recent call has one of these statuses (e.g. MISSED, ABANDONED, VOICEMAIL).",
    }),
    hasUnansweredInboundSms: t.boolean({
      required: false,
      description: "true: only those whose latest message is the customer's; false: only the others.",
    }),
    contactId: t.globalID({ for: ContactRef, required: false, description: "Only this contact's." }),
    phoneNumber: t.string({
      required: false,
      description: "Only those whose contact has this number, in any common format (e.g. (650) 555-0100).",
    }),
    createdBetween: t.field({ type: DateRange, required: false, description: "Only those started in this range." }),
    lastActivityBetween: t.field({
      type: DateRange,
      required: false,
      description: "Only those last active in this range.",
    }),
    search: t.string({
      required: false,
      description:
        "Words to find in messages, comments, the contact's name and voicemail transcriptions, in any case; " +
        "each word also matches words it starts (`refu` finds refund). Every word must be in the same text.",
    }),
  }),
});

type ConversationFilterArg = typeof ConversationFilter.$inferInput;

const ids = (list: { id: string }[] | null | undefined) => list?.map((g) => g.id) ?? null;

/** The GraphQL filter with its global ids decoded. */
function filterInput(filter: ConversationFilterArg | null | undefined): ConversationFilterInput {
  if (!filter) return {};
  return {
    ...filter,
    inboxId: filter.inboxId?.id,
    inboxIds: ids(filter.inboxIds),
    assigneeId: filter.assigneeId?.id,
    tags: filter.tags && { any: ids(filter.tags.any), all: ids(filter.tags.all), none: ids(filter.tags.none) },
    channelIds: ids(filter.channelIds),
    contactId: filter.contactId?.id,
  };
}

/** Reads a page's search highlights once, when the first edge asks for them. */
function pageHighlights(ctx: Context, conversationIds: string[], search: string | null | undefined) {
  let loaded: Promise<Map<string, SearchHighlight[]>> | null = null;
  return () => {
    loaded ??= search?.trim() ? searchHighlights(ctx.prisma, conversationIds, search) : Promise.resolve(new Map());
    return loaded;
  };
}

type ConversationEdge = { node: { id: string }; highlights: ReturnType<typeof pageHighlights> };

builder.queryFields((t) => ({
  conversations: t.connection(
    {
      type: ConversationRef,
      description:
        "Conversations you can see, filtered and ordered (most recent activity first unless `orderBy` says " +
        "otherwise). With a `search`, each edge's `highlights` show where the words matched.",
      args: {
        filter: t.arg({ type: ConversationFilter, required: false, description: "Filters." }),
        orderBy: t.arg({
          type: ConversationOrderEnum,
          required: false,
          defaultValue: "LAST_ACTIVITY",
          description: "The order.",
        }),
      },
      resolve: async (_root, args, ctx, info) => {
        const filter = filterInput(args.filter);
        const page = await listConversations(
          ctx.prisma,
          viewerOf(ctx),
          { filter, order: args.orderBy ?? "LAST_ACTIVITY", page: args },
          (conversationIds) =>
            ctx.prisma.conversation.findMany({
              ...queryFromInfo({ context: ctx, info, typeName: "Conversation", path: ["edges", "node"] }),
              where: { id: { in: conversationIds } },
            }),
        );
        const highlights = pageHighlights(
          ctx,
          page.edges.map((e) => e.node.id),
          filter.search,
        );
        return { ...page, edges: page.edges.map((edge) => ({ ...edge, highlights })) };
      },
    },
    {},
    {
      fields: (t) => ({
        highlights: t.field({
          type: [SearchHighlightRef],
          description: "Where the filter's `search` matched in this conversation (at most 3 texts); empty without one.",
          resolve: async (edge) => {
            const { node, highlights } = edge as unknown as ConversationEdge;
            return (await highlights()).get(node.id) ?? [];
          },
        }),
      }),
    },
  ),
  conversationCounts: t.field({
    type: ConversationCountsRef,
    description: "How many conversations you can see match a filter, per status and per inbox, for a sidebar.",
    args: { filter: t.arg({ type: ConversationFilter, required: false, description: "Filters." }) },
    resolve: (_root, args, ctx) => countConversations(ctx.prisma, viewerOf(ctx), filterInput(args.filter)),
  }),
  tags: t.prismaField({
    type: ["Tag"],
    description: "Every tag, by name.",
    resolve: (query, _root, _args, ctx) => ctx.prisma.tag.findMany({ ...query, orderBy: { name: "asc" } }),
  }),
}));

builder.mutationFields((t) => {
  const conversationId = () =>
    t.arg.globalID({ for: ConversationRef, required: true, description: "The conversation." });
  return {
    assignConversation: t.field({
      type: ConversationPayload,
      description: "Assign a conversation to a member of one of its inboxes.",
      errors: {},
      args: {
        conversationId: conversationId(),
        assigneeId: t.arg.globalID({ for: UserRef, required: true, description: "The assignee." }),
      },
      resolve: async (_root, args, ctx) => ({
        conversation: await assignConversation(ctx, viewerOf(ctx), args.conversationId.id, args.assigneeId.id),
      }),
    }),
    unassignConversation: t.field({
      type: ConversationPayload,
      description: "Leave a conversation unassigned.",
      errors: {},
      args: { conversationId: conversationId() },
      resolve: async (_root, args, ctx) => ({
        conversation: await unassignConversation(ctx, viewerOf(ctx), args.conversationId.id),
      }),
    }),
    archiveConversation: t.field({
      type: ConversationPayload,
      description: "Mark a conversation done.",
      errors: {},
      args: { conversationId: conversationId() },
      resolve: async (_root, args, ctx) => ({
        conversation: await archiveConversation(ctx, viewerOf(ctx), args.conversationId.id),
      }),
    }),
    reopenConversation: t.field({
      type: ConversationPayload,
      description: "Reopen an archived conversation.",
      errors: {},
      args: { conversationId: conversationId() },
      resolve: async (_root, args, ctx) => ({
        conversation: await reopenConversation(ctx, viewerOf(ctx), args.conversationId.id),
      }),
    }),
    tagConversation: t.field({
      type: ConversationPayload,
      description: "Put a tag on a conversation (no-op when already tagged).",
      errors: {},
      args: {
        conversationId: conversationId(),
        tagId: t.arg.globalID({ for: TagRef, required: true, description: "The tag." }),
      },
      resolve: async (_root, args, ctx) => ({
        conversation: await tagConversation(ctx, viewerOf(ctx), args.conversationId.id, args.tagId.id),
      }),
    }),
    untagConversation: t.field({
      type: ConversationPayload,
      description: "Take a tag off a conversation.",
      errors: {},
      args: {
        conversationId: conversationId(),
        tagId: t.arg.globalID({ for: TagRef, required: true, description: "The tag." }),
      },
      resolve: async (_root, args, ctx) => ({
        conversation: await untagConversation(ctx, viewerOf(ctx), args.conversationId.id, args.tagId.id),
      }),
    }),
    addComment: t.field({
      type: CommentPayload,
      description:
        "Comment on a conversation, or on one of its calls or recordings. `@name` or `@email` mentions a teammate; " +
        "mentioning one who cannot see the conversation is refused (InvalidInputError on `body`).",
      errors: {},
      args: {
        conversationId: conversationId(),
        body: t.arg.string({ required: true, description: "The text (1–10,000 characters)." }),
        callId: t.arg.globalID({ for: CallRef, required: false, description: "The call it is about." }),
        recordingId: t.arg.globalID({ for: RecordingRef, required: false, description: "The recording it is about." }),
      },
      resolve: async (_root, args, ctx) => ({
        comment: await addComment(ctx, viewerOf(ctx), {
          conversationId: args.conversationId.id,
          body: args.body,
          callId: args.callId?.id,
          recordingId: args.recordingId?.id,
        }),
      }),
    }),
    splitConversation: t.field({
      type: SplitConversationPayload,
      description:
        "Split a conversation that mixes topics: `fromMessageId` and every later message move to a new " +
        "conversation in the same inboxes, with the same contact and channel — open, and unassigned unless " +
        "`assigneeId` is given. Calls and comments stay (move a call with `moveCallToConversation`). Both " +
        "timelines get an activity naming the other; the customer's next messages go to the new conversation.",
      errors: {},
      args: {
        conversationId: conversationId(),
        fromMessageId: t.arg.globalID({
          required: true,
          description: "The first message to move: not the conversation's first message, and not a call.",
        }),
        assigneeId: t.arg.globalID({
          for: UserRef,
          required: false,
          description: "Assign the new conversation to this member of its inboxes.",
        }),
      },
      resolve: (_root, args, ctx) =>
        splitConversation(ctx, viewerOf(ctx), {
          conversationId: args.conversationId.id,
          from: { kind: args.fromMessageId.typename, id: args.fromMessageId.id },
          assigneeId: args.assigneeId?.id,
        }),
    }),
    moveCallToConversation: t.field({
      type: MoveCallPayload,
      description:
        "Move a call that has ended (with its recordings and comments) to another conversation of the same " +
        "contact — a caller who rang back about something else. Both timelines get an activity naming the other.",
      errors: {},
      args: {
        callId: t.arg.globalID({ for: CallRef, required: true, description: "The call." }),
        conversationId: conversationId(),
      },
      resolve: (_root, args, ctx) =>
        moveCallToConversation(ctx, viewerOf(ctx), { callId: args.callId.id, conversationId: args.conversationId.id }),
    }),
    createTag: t.field({
      type: TagPayload,
      description: "Create a tag.",
      errors: {},
      args: {
        name: t.arg.string({ required: true, description: "Unique name (1–50 characters)." }),
        color: t.arg.string({ required: false, description: "#rrggbb." }),
      },
      resolve: async (_root, args, ctx) => ({ tag: await createTag(ctx.prisma, args) }),
    }),
    deleteTag: t.field({
      type: TagPayload,
      description: "Admins: delete a tag everywhere.",
      authScopes: { admin: true },
      errors: {},
      args: { tagId: t.arg.globalID({ for: TagRef, required: true, description: "The tag." }) },
      resolve: async (_root, args, ctx) => ({ tag: await deleteTag(ctx.prisma, args.tagId.id) }),
    }),
  };
});

builder.subscriptionFields((t) => ({
  conversationEvents: t.field({
    type: ConversationEventRef,
    description:
      "Every change to conversations in an inbox. Pass the last `cursor` you saw as `after` to first receive " +
      "what you missed, then live events — no gap, no duplicate.",
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      after: t.arg.string({ required: false, description: "Resume after this event cursor." }),
    },
    subscribe: (_root, args, ctx) => inboxEventStream(ctx, args.inboxId.id, args.after),
    resolve: (event) => event,
    extensions: EVENT_IS_RESULT,
  }),
  mentions: t.field({
    type: MentionEventRef,
    description: "Comments that @mention you. Resumable with `after` like conversationEvents.",
    args: { after: t.arg.string({ required: false, description: "Resume after this event cursor." }) },
    subscribe: (_root, args, ctx) => viewerEventStream(ctx, args.after, ["COMMENT_ADDED"]),
    resolve: (event) => event,
  }),
}));
