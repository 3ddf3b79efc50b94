import { builder } from "./builder.ts";
import { viewerOf } from "./viewer.ts";
import { visibleCalls, visibleComments, visibleConversations } from "../domain/access.ts";
import { EVENT_CATALOGUE, type EventRecord, type EventRecordOf, type EventType } from "../domain/events.ts";
import { AgentStatusEnum } from "./users.ts";
import type { Conversation, Prisma } from "../generated/prisma/client.ts";
import type { Context } from "../context.ts";
import { subscriptionQuery, visibleConversationShared } from "./shared-loads.ts";
import { ConversationRef } from "./conversations.ts";
import { CallStatusEnum } from "./calls.ts";

/** An event's conversation as it is now, or null when there is none or the viewer can no longer see it. */
export function eventConversation(
  query: { include?: Prisma.ConversationInclude; select?: Prisma.ConversationSelect },
  event: { conversationId: string | null },
  ctx: Context,
) {
  if (!event.conversationId) return null;
  const where = { AND: [{ id: event.conversationId }, visibleConversations(viewerOf(ctx))] };
  return ctx.prisma.conversation.findFirst({ ...query, where });
}

export const EventTypeEnum = builder.enumType("EventType", {
  description:
    "What an event of the event log says happened. New values may be added; a client ignores those it does not know.",
  values: Object.fromEntries(
    Object.entries(EVENT_CATALOGUE).map(([type, { description }]) => [type, { description }]),
  ) as {
    [K in EventType]: { description: string };
  },
});

export const ConversationEventRef = builder.objectRef<EventRecord>("ConversationEvent").implement({
  description: "An entry of the event log: something changed in a conversation.",
  fields: (t) => ({
    cursor: t.exposeString("sequence", { description: "Pass as `after` to resume right after this event." }),
    type: t.field({ type: EventTypeEnum, description: "What happened.", resolve: (e) => e.type }),
    createdAt: t.field({ type: "DateTime", description: "When it happened.", resolve: (e) => e.createdAt }),
    conversation: t.field({
      type: ConversationRef,
      nullable: true,
      description: "The conversation as it is now (null if you can no longer see it).",
      // Every subscriber of the inbox resolves this for the same event at once: one read for all,
      // with the query planned once per subscription (a t.prismaField would plan it per event).
      resolve: (event, _args, ctx, info) => {
        const conversationId = event.conversationId;
        if (!conversationId) return null;
        const load = (query: object) =>
          visibleConversationShared(ctx.prisma, query, conversationId, viewerOf(ctx)) as Promise<Conversation | null>;
        const query = subscriptionQuery(ctx, info);
        return query instanceof Promise ? query.then(load) : load(query);
      },
    }),
    payload: t.field({
      type: "JSONObject",
      description: "Details of the change, by type. Ids in it are database ids, not global ids.",
      resolve: (e) => e.payload,
    }),
  }),
});

export const MentionEventRef = builder.objectRef<EventRecordOf<"COMMENT_ADDED">>("MentionEvent").implement({
  description: "You were @mentioned in a comment.",
  fields: (t) => ({
    cursor: t.exposeString("sequence", { description: "Pass as `after` to resume right after this event." }),
    createdAt: t.field({ type: "DateTime", description: "When it happened.", resolve: (e) => e.createdAt }),
    comment: t.prismaField({
      type: "Comment",
      nullable: true,
      description: "The comment (null if you cannot see its conversation).",
      resolve: (query, event, _args, ctx) =>
        ctx.prisma.comment.findFirst({
          ...query,
          where: { AND: [{ id: event.payload.commentId }, visibleComments(viewerOf(ctx))] },
        }),
    }),
  }),
});

export const IncomingCallEventRef = builder.objectRef<EventRecordOf<"INCOMING_CALL">>("IncomingCallEvent").implement({
  description: "RingCentral is ringing you: who is calling, about which conversation.",
  fields: (t) => ({
    cursor: t.exposeString("sequence", { description: "Pass as `after` to resume right after this event." }),
    createdAt: t.field({ type: "DateTime", description: "When the ringing started.", resolve: (e) => e.createdAt }),
    callerNumber: t.string({
      nullable: true,
      description: "The caller's number, E.164 when it is one.",
      resolve: (e) => e.payload.fromNumber,
    }),
    call: t.prismaField({
      type: "Call",
      nullable: true,
      description: "The call.",
      resolve: (query, event, _args, ctx) =>
        ctx.prisma.call.findFirst({
          ...query,
          where: { AND: [{ id: event.payload.callId }, visibleCalls(viewerOf(ctx))] },
        }),
    }),
    conversation: t.prismaField({
      type: "Conversation",
      nullable: true,
      description: "The conversation, with its contact and inboxes.",
      resolve: (query, event, _args, ctx) => eventConversation(query, event, ctx),
    }),
  }),
});

export const CallUpdatedEventRef = builder.objectRef<EventRecordOf<"CALL_UPDATED">>("CallUpdatedEvent").implement({
  description: "A call changed state.",
  fields: (t) => ({
    cursor: t.exposeString("sequence", { description: "Pass as `after` to resume right after this event." }),
    createdAt: t.field({ type: "DateTime", description: "When it changed.", resolve: (e) => e.createdAt }),
    status: t.field({
      type: CallStatusEnum,
      description:
        "The state the call changed to: RINGING when it starts ringing, then each later state. `call` is read " +
        "when the event is sent, so a replayed or quickly followed event shows a later state there.",
      resolve: (e) => e.payload.status,
    }),
    call: t.prismaField({
      type: "Call",
      nullable: true,
      description: "The call as it is now.",
      resolve: (query, event, _args, ctx) =>
        ctx.prisma.call.findFirst({
          ...query,
          where: { AND: [{ id: event.payload.callId }, visibleCalls(viewerOf(ctx))] },
        }),
    }),
  }),
});

export const AgentStatusEventRef = builder
  .objectRef<EventRecordOf<"AGENT_STATUS_CHANGED">>("AgentStatusEvent")
  .implement({
    description: "A teammate's availability changed (by hand, or automatically during calls).",
    fields: (t) => ({
      cursor: t.exposeString("sequence", { description: "Pass as `after` to resume right after this event." }),
      createdAt: t.field({ type: "DateTime", description: "When it changed.", resolve: (e) => e.createdAt }),
      automatic: t.boolean({
        description: "Set by a call starting or ending, or by Do Not Disturb turned on or off in RingCentral.",
        resolve: (e) => e.payload.automatic === true,
      }),
      status: t.field({
        type: AgentStatusEnum,
        description: "The status it changed to.",
        resolve: (e) => e.payload.status,
      }),
      previousStatus: t.field({
        type: AgentStatusEnum,
        description: "The status it changed from.",
        resolve: (e) => e.payload.previousStatus,
      }),
      user: t.prismaField({
        type: "User",
        description: "Who changed.",
        resolve: (query, event, _args, ctx) =>
          ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: event.payload.userId } }),
      }),
    }),
  });
