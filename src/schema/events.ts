import { builder } from "./builder.ts";
import { viewerOf } from "./viewer.ts";
import { visibleComments, visibleConversations } from "../domain/access.ts";
import type { EventRecord } from "../pubsub.ts";

export const ConversationEventRef = builder.objectRef<EventRecord>("ConversationEvent").implement({
  description: "An entry of the event log: something changed in a conversation.",
  fields: (t) => ({
    cursor: t.exposeString("sequence", { description: "Pass as `after` to resume right after this event." }),
    type: t.exposeString("type", {
      description:
        "CONVERSATION_CREATED, CONVERSATION_ASSIGNED, CONVERSATION_UNASSIGNED, CONVERSATION_ARCHIVED, CONVERSATION_REOPENED, CONVERSATION_TAGGED, CONVERSATION_UNTAGGED, COMMENT_ADDED, CALL_UPDATED, MESSAGE_ADDED, …",
    }),
    createdAt: t.field({ type: "DateTime", description: "When it happened.", resolve: (e) => e.createdAt }),
    conversation: t.prismaField({
      type: "Conversation",
      nullable: true,
      description: "The conversation as it is now (null if you can no longer see it).",
      resolve: (query, event, _args, ctx) =>
        event.conversationId
          ? ctx.prisma.conversation.findFirst({ ...query, where: { AND: [{ id: event.conversationId }, visibleConversations(viewerOf(ctx))] } })
          : null,
    }),
    payload: t.field({
      type: "JSONObject",
      description: "Details of the change, by type. Ids in it are database ids, not global ids.",
      resolve: (e) => e.payload,
    }),
  }),
});

export const MentionEventRef = builder.objectRef<EventRecord>("MentionEvent").implement({
  description: "You were @mentioned in a comment.",
  fields: (t) => ({
    cursor: t.exposeString("sequence", { description: "Pass as `after` to resume right after this event." }),
    createdAt: t.field({ type: "DateTime", description: "When it happened.", resolve: (e) => e.createdAt }),
    comment: t.prismaField({
      type: "Comment",
      nullable: true,
      description: "The comment (null if you cannot see its conversation).",
      resolve: (query, event, _args, ctx) =>
        ctx.prisma.comment.findFirst({ ...query, where: { AND: [{ id: String(event.payload.commentId) }, visibleComments(viewerOf(ctx))] } }),
    }),
  }),
});
