import { builder } from "../schema/builder.ts";
import { viewerOf } from "../schema/viewer.ts";
import { ConversationRef, ConversationStatusEnum, TagRef } from "../schema/conversations.ts";
import { InboxRef } from "../schema/inboxes.ts";
import { UserRef } from "../schema/users.ts";
import { CallRef, RecordingRef } from "../schema/calls.ts";
import { CommentPayload, ConversationPayload, TagPayload } from "../schema/payloads.ts";
import { ConversationEventRef, MentionEventRef } from "../schema/events.ts";
import { visibleConversations } from "../domain/access.ts";
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

const ConversationFilter = builder.inputType("ConversationFilter", {
  description: "Narrows a conversation list; all given fields must match.",
  fields: (t) => ({
    inboxId: t.globalID({ for: InboxRef, required: false, description: "Only conversations in this inbox." }),
    status: t.field({ type: ConversationStatusEnum, required: false, description: "Only this status." }),
    assigneeId: t.globalID({ for: UserRef, required: false, description: "Only those assigned to this user." }),
    unassigned: t.boolean({ required: false, description: "Only those nobody is assigned to." }),
  }),
});

builder.queryFields((t) => ({
  conversations: t.prismaConnection({
    type: "Conversation",
    cursor: "id",
    description: "Conversations you can see, most recent activity first.",
    args: { filter: t.arg({ type: ConversationFilter, required: false, description: "Filters." }) },
    resolve: (query, _root, args, ctx) => {
      const filter = args.filter ?? {};
      return ctx.prisma.conversation.findMany({
        ...query,
        where: {
          AND: [
            visibleConversations(viewerOf(ctx)),
            filter.inboxId ? { inboxes: { some: { inboxId: filter.inboxId.id } } } : {},
            filter.status ? { status: filter.status } : {},
            filter.assigneeId ? { assigneeId: filter.assigneeId.id } : {},
            filter.unassigned ? { assigneeId: null } : {},
          ],
        },
        orderBy: [{ lastActivityAt: "desc" }, { id: "desc" }],
      });
    },
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
