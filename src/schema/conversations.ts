import { encodeGlobalID, resolveOffsetConnection } from "@pothos/plugin-relay";
import { viewerOf } from "./viewer.ts";
import { builder } from "./builder.ts";
import { CallRef } from "./calls.ts";
import { MessageRef } from "./messages.ts";
import { loadTimeline, type TimelineEntry } from "../domain/timeline.ts";
import { visibleActivities, visibleComments, visibleConversations } from "../domain/access.ts";
import type { ActivityData, ActivityKind } from "../domain/conversations.ts";
import type { CallEndedData } from "../domain/calls.ts";
import type { Inbox, Prisma } from "../generated/prisma/client.ts";
import type { SearchHighlight, TextRange } from "../domain/conversation-lists.ts";

export const ConversationStatusEnum = builder.enumType("ConversationStatus", {
  description: "Open conversations need attention; archived ones are done.",
  values: {
    OPEN: { description: "Needs attention." },
    ARCHIVED: { description: "Done (reopens on new activity)." },
  } as const,
});

export const ConversationRef = builder.prismaNode("Conversation", {
  description: "A thread with one contact: calls, messages, comments and activities, in one or more inboxes.",
  id: { field: "id", description: "Global id." },
  nullable: true, // node(id:) of a missing or hidden row is null, not an error
  findUnique: (id, ctx) => ({ id, AND: [visibleConversations(viewerOf(ctx))] }),
  fields: (t) => ({
    subject: t.exposeString("subject", { nullable: true, description: "An optional subject line." }),
    status: t.expose("status", { type: ConversationStatusEnum, description: "OPEN or ARCHIVED." }),
    contact: t.relation("contact", {
      nullable: true,
      description: "The customer; null when no contact has their phone number.",
    }),
    assignee: t.relation("assignee", { nullable: true, description: "Who owns it; null when unassigned." }),
    channel: t.relation("channel", { nullable: true, description: "The channel it started on." }),
    inboxes: t.prismaField({
      type: ["Inbox"],
      description: "The inboxes it appears in that you can see (a transfer can thread it into several).",
      select: (_args, _ctx, nestedSelection) => ({ inboxes: { select: { inbox: nestedSelection(true) } } }),
      resolve: (_query, conversation, _args, ctx) => {
        const viewer = viewerOf(ctx);
        return conversation.inboxes
          .map((i) => i.inbox)
          .filter((inbox) => viewer.inboxIds === null || viewer.inboxIds.includes(inbox.id));
      },
    }),
    tags: t.prismaField({
      type: ["Tag"],
      description: "Tags on this conversation.",
      select: (_args, _ctx, nestedSelection) => ({
        tags: { select: { tag: nestedSelection(true) }, orderBy: { createdAt: "asc" } },
      }),
      resolve: (_query, conversation) => conversation.tags.map((t) => t.tag),
    }),
    lastCall: t.prismaField({
      type: "Call",
      nullable: true,
      description: "The most recent call.",
      select: (_args, _ctx, nestedSelection) => ({
        calls: nestedSelection({ orderBy: { createdAt: "desc" }, take: 1 }),
      }),
      resolve: (_query, conversation) => conversation.calls[0] ?? null,
    }),
    lastMessage: t.prismaField({
      type: "Message",
      nullable: true,
      description: "The most recent SMS/MMS.",
      select: (_args, _ctx, nestedSelection) => ({
        messages: nestedSelection({ orderBy: { createdAt: "desc" }, take: 1 }),
      }),
      resolve: (_query, conversation) => conversation.messages[0] ?? null,
    }),
    calls: t.relatedConnection("calls", {
      cursor: "id",
      description: "Calls, oldest first.",
      query: { orderBy: { createdAt: "asc" } },
    }),
    messages: t.relatedConnection("messages", {
      cursor: "id",
      description: "Messages, oldest first.",
      query: { orderBy: { createdAt: "asc" } },
    }),
    comments: t.relatedConnection("comments", {
      cursor: "id",
      description: "Comments, oldest first.",
      query: { orderBy: { createdAt: "asc" } },
    }),
    timeline: t.connection(
      {
        type: TimelineItemRef,
        description: "Calls, messages, comments and activities in the order they happened.",
        resolve: (conversation, args, ctx) =>
          resolveOffsetConnection({ args }, ({ offset, limit }) =>
            loadTimeline(ctx.prisma, conversation.id, offset, limit),
          ),
      },
      { description: "A page of the timeline." },
      { description: "A timeline item and its cursor." },
    ),
    splitFrom: t.prismaField({
      type: "Conversation",
      nullable: true,
      description: "The conversation this one was split off, when it was (and you can see it).",
      resolve: (query, conversation, _args, ctx) =>
        conversation.splitFromId
          ? ctx.prisma.conversation.findFirst({
              ...query,
              where: { AND: [{ id: conversation.splitFromId }, visibleConversations(viewerOf(ctx))] },
            })
          : null,
    }),
    lastActivityAt: t.expose("lastActivityAt", {
      type: "DateTime",
      description: "The last time anything happened in it.",
    }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true, description: "When it was archived." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it started." }),
  }),
});

/** Whatever an Activity row's `data` holds, across every kind. */
type StoredActivityData = { [K in ActivityKind]: ActivityData<K> }[ActivityKind] | CallEndedData;
type IdKeyOf<T> = T extends unknown ? Extract<keyof T, `${string}Id`> : never;

/**
 * The node type of every id an activity's `data` may hold. Storage (and the event log) keep
 * database ids; the API gives out global ids, like every other id field. Typed against the domain's
 * data shapes, so a new id there fails to compile until it is mapped here.
 */
const ACTIVITY_DATA_NODE_TYPES = {
  assigneeId: "User",
  previousAssigneeId: "User",
  callId: "Call",
  messageId: "Message",
  tagId: "Tag",
  newConversationId: "Conversation",
  originalConversationId: "Conversation",
  toConversationId: "Conversation",
  fromConversationId: "Conversation",
} as const satisfies Record<IdKeyOf<StoredActivityData>, string>;

/** An activity's stored data with its database ids turned into global ids; other values as stored. */
function activityDataWithGlobalIds(data: Prisma.JsonValue): Prisma.JsonValue {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return data;
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => {
      const nodeType = Object.hasOwn(ACTIVITY_DATA_NODE_TYPES, key)
        ? ACTIVITY_DATA_NODE_TYPES[key as keyof typeof ACTIVITY_DATA_NODE_TYPES]
        : null;
      return [key, nodeType && typeof value === "string" ? encodeGlobalID(nodeType, value) : value];
    }),
  );
}

export const ActivityRef = builder.prismaNode("Activity", {
  description: "A timeline entry for something that happened: assigned, archived, tagged, call ended…",
  id: { field: "id", description: "Global id." },
  nullable: true, // node(id:) of a missing or hidden row is null, not an error
  findUnique: (id, ctx) => ({ id, AND: [visibleActivities(viewerOf(ctx))] }),
  fields: (t) => ({
    type: t.exposeString("type", {
      description: "ASSIGNED, UNASSIGNED, ARCHIVED, REOPENED, TAGGED, UNTAGGED, CALL_ENDED, SPLIT, CALL_MOVED_IN…",
    }),
    actor: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who did it; null for the system.",
      resolve: (query, activity, _args, ctx) =>
        activity.actorId ? ctx.prisma.user.findUnique({ ...query, where: { id: activity.actorId } }) : null,
    }),
    data: t.field({
      type: "JSONObject",
      description:
        "Details, by `type`. Every id in it is a global id, usable with `node(id:)`. " +
        "ASSIGNED: `assigneeId` (User), plus `callId` (Call) when answering that call assigned it. " +
        "UNASSIGNED: `previousAssigneeId` (User). " +
        "ARCHIVED: nothing. " +
        "AUTO_ARCHIVED: `closeAfterSeconds`, the SMS channel's inactivity period. " +
        "REOPENED: nothing when a teammate reopened it; otherwise `reason`: NEW_MESSAGE, or MESSAGE_FAILED " +
        "with `messageId` (Message), the message that failed. " +
        "TAGGED: `tagId` (Tag) and `tagName`. " +
        "UNTAGGED: `tagId` (Tag). " +
        "CALL_ENDED: `callId` (Call), its `status` (a CallStatus) and `talkSeconds` (null when it was not answered). " +
        "SPLIT: `newConversationId` (Conversation), where `messageId` (Message) and every later message went, " +
        "`messageCount` of them. SPLIT_FROM: `originalConversationId` (Conversation) they came from, `messageId`, " +
        "`messageCount`. CALL_MOVED_OUT: `callId` (Call) and `toConversationId` (Conversation). CALL_MOVED_IN: " +
        "`callId` and `fromConversationId` (Conversation). " +
        "New keys may be added; a client ignores those it does not know.",
      resolve: (a) => activityDataWithGlobalIds(a.data),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it happened." }),
  }),
});

export const TagRef = builder.prismaNode("Tag", {
  select: { id: true },
  description: "A label for conversations.",
  id: { field: "id", description: "Global id." },
  nullable: true, // node(id:) of a missing or hidden row is null, not an error
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique name." }),
    color: t.exposeString("color", { nullable: true, description: "#rrggbb." }),
  }),
});

export const CommentRef = builder.prismaNode("Comment", {
  description: "An internal note on a conversation (optionally on one call or recording), with @mentions.",
  id: { field: "id", description: "Global id." },
  nullable: true, // node(id:) of a missing or hidden row is null, not an error
  findUnique: (id, ctx) => ({ id, AND: [visibleComments(viewerOf(ctx))] }),
  fields: (t) => ({
    body: t.exposeString("body", { description: "The text." }),
    author: t.relation("author", { description: "Who wrote it." }),
    conversation: t.relation("conversation", { description: "The conversation it is on." }),
    call: t.relation("call", { nullable: true, description: "The call it is about, if any." }),
    recording: t.relation("recording", { nullable: true, description: "The recording it is about, if any." }),
    mentions: t.prismaField({
      type: ["User"],
      description: "Users mentioned with @.",
      select: (_args, _ctx, nestedSelection) => ({ mentions: { select: { user: nestedSelection(true) } } }),
      resolve: (_query, comment) => comment.mentions.map((m) => m.user),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was written." }),
  }),
});

export const TimelineItemRef = builder.unionType("TimelineItem", {
  description: "One entry of a conversation's timeline.",
  types: [CallRef, MessageRef, CommentRef, ActivityRef],
  resolveType: (item) => (item as unknown as TimelineEntry).kind,
});

export const ConversationOrderEnum = builder.enumType("ConversationOrder", {
  description: "How a conversation list is ordered.",
  values: {
    LAST_ACTIVITY: { description: "Most recent activity first." },
    CREATED: { description: "Newest first, by when the conversation started." },
    WAITING_LONGEST: {
      description:
        "The customer waiting longest first: by their oldest message or unanswered call (missed, abandoned, " +
        "voicemail) since the team last answered (an outbound message or call, or an answered call). " +
        "Conversations where nobody waits come last.",
    },
  } as const,
});

const SearchSourceEnum = builder.enumType("SearchSource", {
  description: "Where a search matched.",
  values: {
    MESSAGE: { description: "An SMS/MMS text." },
    COMMENT: { description: "A teammate's comment." },
    CONTACT_NAME: { description: "The contact's name." },
    TRANSCRIPTION: { description: "A voicemail's transcription." },
  } as const,
});

const HIGHLIGHT_NODE_TYPES = {
  MESSAGE: "Message",
  COMMENT: "Comment",
  CONTACT_NAME: "Contact",
  TRANSCRIPTION: "Recording",
} as const satisfies Record<SearchHighlight["source"], string>;

const TextRangeRef = builder.objectRef<TextRange>("TextRange").implement({
  description: "A part of a text: `length` characters from `start` (UTF-16 code units, as JavaScript counts).",
  fields: (t) => ({
    start: t.exposeInt("start", { description: "Offset of the first character, from 0." }),
    length: t.exposeInt("length", { description: "Number of characters." }),
  }),
});

export const SearchHighlightRef = builder.objectRef<SearchHighlight>("SearchHighlight").implement({
  description: "Where a text search matched in a conversation: a fragment of the text, and the matched words in it.",
  fields: (t) => ({
    source: t.field({ type: SearchSourceEnum, description: "What kind of text matched.", resolve: (h) => h.source }),
    nodeId: t.id({
      description: "Global id of the Message, Comment, Contact or Recording (voicemail) the text is from.",
      resolve: (h) => encodeGlobalID(HIGHLIGHT_NODE_TYPES[h.source], h.id),
    }),
    text: t.exposeString("text", {
      description: "A fragment of the text around the matches (long texts are cut, with ` … ` between fragments).",
    }),
    matches: t.field({
      type: [TextRangeRef],
      description: "Where the searched words are in `text`, to emphasise them.",
      resolve: (h) => h.matches,
    }),
  }),
});

interface InboxCount {
  inbox: Inbox;
  count: number;
}

const StatusCountRef = builder
  .objectRef<{ status: "OPEN" | "ARCHIVED"; count: number }>("ConversationStatusCount")
  .implement({
    description: "How many matching conversations have a status.",
    fields: (t) => ({
      status: t.field({ type: ConversationStatusEnum, description: "The status.", resolve: (c) => c.status }),
      count: t.exposeInt("count", { description: "How many." }),
    }),
  });

const InboxCountRef = builder.objectRef<InboxCount>("InboxConversationCount").implement({
  description: "How many matching conversations an inbox holds.",
  fields: (t) => ({
    inbox: t.prismaField({ type: "Inbox", description: "The inbox.", resolve: (_query, c) => c.inbox }),
    count: t.exposeInt("count", { description: "How many (a conversation in two inboxes counts in each)." }),
  }),
});

export const ConversationCountsRef = builder
  .objectRef<{ total: number; byStatus: { status: "OPEN" | "ARCHIVED"; count: number }[]; byInbox: InboxCount[] }>(
    "ConversationCounts",
  )
  .implement({
    description: "Counts of the conversations a filter matches, for a sidebar. Only what you can see is counted.",
    fields: (t) => ({
      total: t.exposeInt("total", { description: "Every matching conversation, once." }),
      byStatus: t.field({
        type: [StatusCountRef],
        description: "Per status (every status, zeros included).",
        resolve: (c) => c.byStatus,
      }),
      byInbox: t.field({
        type: [InboxCountRef],
        description: "Per inbox you can see (those the filter names, if it does), by name, zeros included.",
        resolve: (c) => c.byInbox,
      }),
    }),
  });
