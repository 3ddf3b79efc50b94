// Conversations: assignment, archive/reopen, tags, comments with @mentions (R6.1, R6.2). Every
// change writes a timeline activity and an event in the same transaction.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { userCanSeeConversation, visibleConversations, type Viewer } from "./access.ts";
import { InvalidInputError, NotFoundError } from "./errors.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "./event-log.ts";
import type { EventPayloads, NewEvent, NewEventOf } from "./events.ts";
import { lockConversation } from "../store/locks.ts";

/** What every event about a conversation needs: the inboxes it is addressed to. */
export const conversationWithInboxes = {
  inboxes: { select: { inboxId: true } },
} satisfies Prisma.ConversationInclude;
export type ConversationWithInboxes = Prisma.ConversationGetPayload<{ include: typeof conversationWithInboxes }>;

export function inboxIdsOf(conversation: ConversationWithInboxes): string[] {
  return conversation.inboxes.map((i) => i.inboxId);
}

export async function requireVisibleConversation(tx: Transaction | PrismaClient, viewer: Viewer, id: string) {
  const conversation = await tx.conversation.findFirst({
    where: { AND: [{ id }, visibleConversations(viewer)] },
    include: conversationWithInboxes,
  });
  if (!conversation) throw new NotFoundError("Conversation");
  return conversation;
}

/** Timeline activities that write a `CONVERSATION_<kind>` event. */
export type ActivityKind =
  | "ASSIGNED"
  | "UNASSIGNED"
  | "ARCHIVED"
  | "AUTO_ARCHIVED"
  | "REOPENED"
  | "TAGGED"
  | "UNTAGGED"
  | "SPLIT"
  | "SPLIT_FROM"
  | "CALL_MOVED_OUT"
  | "CALL_MOVED_IN";
export type ActivityData<K extends ActivityKind> = Omit<
  EventPayloads[`CONVERSATION_${K}`],
  "activityId" | "actorId" | "ruleId"
>;

/** Writes a timeline activity and the matching event. */
export async function recordActivity<K extends ActivityKind>(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  kind: K,
  actorId: string | null,
  data: ActivityData<K>,
  userIds: string[] = [],
) {
  const ruleId = log.cause?.ruleId;
  const activity = await tx.activity.create({
    data: {
      conversationId: conversation.id,
      type: kind,
      actorId,
      ruleId: ruleId ?? null,
      data: data as Prisma.InputJsonValue,
    },
  });
  // TypeScript cannot follow `CONVERSATION_${K}` to its payload inside a generic function; the
  // signature above is what keeps the type and the data in step.
  const event = {
    type: `CONVERSATION_${kind}`,
    conversationId: conversation.id,
    inboxIds: inboxIdsOf(conversation),
    userIds,
    payload: { ...data, activityId: activity.id, actorId, ...(ruleId ? { ruleId } : {}) },
  } as NewEvent;
  log.append(event);
  return activity;
}

/** Something happened in the conversation now: it moves up its inboxes (with `data` changed alongside). */
export async function touchConversation(
  tx: Transaction,
  conversationId: string,
  data: Prisma.ConversationUpdateInput = {},
) {
  const now = new Date();
  await tx.conversationInbox.updateMany({ where: { conversationId }, data: { lastActivityAt: now } });
  return tx.conversation.update({ where: { id: conversationId }, data: { ...data, lastActivityAt: now } });
}

/** Creates a conversation in the given inboxes (the first is the channel's inbox). */
export async function openConversation(
  tx: Transaction,
  log: EventLog,
  input: {
    inboxIds: string[];
    channelId?: string | null;
    contactId?: string | null;
    subject?: string | null;
    assigneeId?: string | null;
    splitFromId?: string | null;
  },
) {
  const conversation = await tx.conversation.create({
    data: {
      channelId: input.channelId ?? null,
      contactId: input.contactId ?? null,
      subject: input.subject ?? null,
      assigneeId: input.assigneeId ?? null,
      splitFromId: input.splitFromId ?? null,
      inboxes: { create: input.inboxIds.map((inboxId) => ({ inboxId })) },
    },
    include: conversationWithInboxes,
  });
  log.append(
    conversationCreatedEvent({
      id: conversation.id,
      inboxIds: input.inboxIds,
      channelId: input.channelId ?? null,
      contactId: input.contactId ?? null,
    }),
  );
  return conversation;
}

export function conversationCreatedEvent(conversation: {
  id: string;
  inboxIds: string[];
  channelId: string | null;
  contactId: string | null;
}): NewEventOf<"CONVERSATION_CREATED"> {
  return {
    type: "CONVERSATION_CREATED",
    conversationId: conversation.id,
    inboxIds: [...conversation.inboxIds],
    payload: { channelId: conversation.channelId, contactId: conversation.contactId },
  };
}

/** A conversation in these inboxes may be assigned to an admin or to a member of one of them. */
export async function requireAssignable(tx: Transaction, assigneeId: string, inboxIds: string[]) {
  const assignee = await tx.user.findUnique({ where: { id: assigneeId }, include: { memberships: true } });
  if (!assignee) throw new NotFoundError("User");
  if (assignee.role !== "ADMIN" && !assignee.memberships.some((m) => inboxIds.includes(m.inboxId))) {
    throw new InvalidInputError("The assignee is not a member of the conversation's inbox", "assigneeId");
  }
}

export async function assignConversation(deps: Deps, viewer: Viewer, conversationId: string, assigneeId: string) {
  return inTransaction(deps, async (tx, log) => {
    await lockConversation(tx, conversationId);
    const conversation = await requireVisibleConversation(tx, viewer, conversationId);
    return assignIn(tx, log, conversation, assigneeId, viewer.id);
  });
}

/** Assigns the (locked) conversation to a member of one of its inboxes, or an admin. */
export async function assignIn(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  assigneeId: string,
  actorId: string | null,
) {
  await requireAssignable(tx, assigneeId, inboxIdsOf(conversation));
  if (conversation.assigneeId === assigneeId) return conversation;
  const updated = await touchConversation(tx, conversation.id, { assignee: { connect: { id: assigneeId } } });
  await recordActivity(tx, log, conversation, "ASSIGNED", actorId, { assigneeId }, [assigneeId]);
  return updated;
}

export async function unassignConversation(deps: Deps, viewer: Viewer, conversationId: string) {
  return inTransaction(deps, async (tx, log) => {
    await lockConversation(tx, conversationId);
    return unassignIn(tx, log, await requireVisibleConversation(tx, viewer, conversationId), viewer.id);
  });
}

export async function unassignIn(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  actorId: string | null,
) {
  if (!conversation.assigneeId) return conversation;
  const updated = await touchConversation(tx, conversation.id, { assignee: { disconnect: true } });
  await recordActivity(tx, log, conversation, "UNASSIGNED", actorId, { previousAssigneeId: conversation.assigneeId });
  return updated;
}

export async function archiveConversation(
  deps: Deps,
  viewer: Viewer | null,
  conversationId: string,
  actorId: string | null = viewer?.id ?? null,
) {
  return inTransaction(deps, async (tx, log) => {
    await lockConversation(tx, conversationId);
    const conversation = viewer
      ? await requireVisibleConversation(tx, viewer, conversationId)
      : await tx.conversation.findUniqueOrThrow({ where: { id: conversationId }, include: conversationWithInboxes });
    return archiveIn(tx, log, conversation, actorId);
  });
}

export async function archiveIn(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  actorId: string | null,
) {
  if (conversation.status === "ARCHIVED") return conversation;
  const updated = await touchConversation(tx, conversation.id, { status: "ARCHIVED", archivedAt: new Date() });
  await recordActivity(tx, log, conversation, "ARCHIVED", actorId, {});
  return updated;
}

export async function reopenConversation(deps: Deps, viewer: Viewer, conversationId: string) {
  return inTransaction(deps, async (tx, log) => {
    await lockConversation(tx, conversationId);
    return reopenIn(tx, log, await requireVisibleConversation(tx, viewer, conversationId), viewer.id);
  });
}

export async function reopenIn(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  actorId: string | null,
) {
  if (conversation.status === "OPEN") return conversation;
  const updated = await touchConversation(tx, conversation.id, { status: "OPEN", archivedAt: null });
  await recordActivity(tx, log, conversation, "REOPENED", actorId, {});
  return updated;
}

export async function tagConversation(deps: Deps, viewer: Viewer, conversationId: string, tagId: string) {
  return inTransaction(deps, async (tx, log) => {
    await lockConversation(tx, conversationId);
    return tagIn(tx, log, await requireVisibleConversation(tx, viewer, conversationId), tagId, viewer.id);
  });
}

export async function tagIn(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  tagId: string,
  actorId: string | null,
) {
  const tag = await tx.tag.findUnique({ where: { id: tagId } });
  if (!tag) throw new NotFoundError("Tag");
  const conversationId = conversation.id;
  const existing = await tx.conversationTag.findUnique({ where: { conversationId_tagId: { conversationId, tagId } } });
  if (existing) return conversation;
  await tx.conversationTag.create({ data: { conversationId, tagId } });
  await recordActivity(tx, log, conversation, "TAGGED", actorId, { tagId, tagName: tag.name });
  return touchConversation(tx, conversationId);
}

export async function untagConversation(deps: Deps, viewer: Viewer, conversationId: string, tagId: string) {
  return inTransaction(deps, async (tx, log) => {
    await lockConversation(tx, conversationId);
    return untagIn(tx, log, await requireVisibleConversation(tx, viewer, conversationId), tagId, viewer.id);
  });
}

export async function untagIn(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  tagId: string,
  actorId: string | null,
) {
  const removed = await tx.conversationTag.deleteMany({ where: { conversationId: conversation.id, tagId } });
  if (removed.count === 0) return conversation;
  await recordActivity(tx, log, conversation, "UNTAGGED", actorId, { tagId });
  return touchConversation(tx, conversation.id);
}

const MENTION = /@([a-z0-9._%+-]+(?:@[a-z0-9.-]+\.[a-z]{2,})?)/gi;

/** `@ana@example.com` or `@ana` (the part of the email before "@") mention a teammate. */
export function mentionHandles(body: string): string[] {
  return [...new Set([...body.matchAll(MENTION)].map((m) => m[1]!.toLowerCase().replace(/\.$/, "")))];
}

/**
 * The users a comment on a conversation in `inboxIds` mentions. A mention of a teammate who cannot
 * see the conversation is refused rather than dropped: they could not open the comment, and the
 * author would believe they had been told.
 */
async function resolveMentions(tx: Transaction, body: string, inboxIds: string[]): Promise<string[]> {
  const handles = mentionHandles(body);
  if (handles.length === 0) return [];
  const users = await tx.user.findMany({
    where: { OR: handles.map((h) => (h.includes("@") ? { email: h } : { email: { startsWith: `${h}@` } })) },
    select: { id: true, email: true, role: true, memberships: { select: { inboxId: true } } },
  });
  // `startsWith` is a LIKE pattern: `%` and `_` in a handle are wildcards, so match exactly here.
  const mentioned = (email: string) => handles.some((h) => (h.includes("@") ? email === h : email.startsWith(`${h}@`)));
  const mentionedUsers = users.filter((u) => mentioned(u.email));
  const outsiders = mentionedUsers.filter(
    (u) => !userCanSeeConversation({ role: u.role, inboxIds: u.memberships.map((m) => m.inboxId) }, inboxIds),
  );
  if (outsiders.length > 0)
    throw new InvalidInputError(
      `${outsiders.map((u) => u.email).join(", ")} cannot see this conversation: add them to one of its inboxes, or leave the mention out`,
      "body",
    );
  return mentionedUsers.map((u) => u.id);
}

export async function addComment(
  deps: Deps,
  viewer: Viewer,
  input: { conversationId: string; body: string; callId?: string | null; recordingId?: string | null },
) {
  const body = input.body.trim();
  if (!body) throw new InvalidInputError("A comment cannot be empty", "body");
  if (body.length > 10_000) throw new InvalidInputError("A comment has at most 10,000 characters", "body");
  return inTransaction(deps, async (tx, log) => {
    const conversation = await requireVisibleConversation(tx, viewer, input.conversationId);
    await requireOwnedBy(tx, conversation.id, input.callId, input.recordingId);
    return commentIn(tx, log, conversation, { ...input, body, authorId: viewer.id });
  });
}

/** Writes a comment (with its @mentions) by `authorId`; a rule's transaction records the rule too. */
export async function commentIn(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  input: { body: string; authorId: string; callId?: string | null; recordingId?: string | null },
) {
  const { body, authorId } = input;
  const ruleId = log.cause?.ruleId;
  const mentionedUserIds = (await resolveMentions(tx, body, inboxIdsOf(conversation))).filter((id) => id !== authorId);
  const comment = await tx.comment.create({
    data: {
      conversationId: conversation.id,
      callId: input.callId ?? null,
      recordingId: input.recordingId ?? null,
      authorId,
      ruleId: ruleId ?? null,
      body,
      mentions: { create: mentionedUserIds.map((userId) => ({ userId })) },
    },
  });
  await touchConversation(tx, conversation.id);
  log.append({
    type: "COMMENT_ADDED",
    conversationId: conversation.id,
    inboxIds: inboxIdsOf(conversation),
    userIds: mentionedUserIds,
    payload: { commentId: comment.id, authorId, mentionedUserIds, ...(ruleId ? { ruleId } : {}) },
  });
  return comment;
}

/** A comment's call or recording must belong to the conversation commented on. */
async function requireOwnedBy(
  tx: Transaction,
  conversationId: string,
  callId?: string | null,
  recordingId?: string | null,
) {
  if (callId && !(await tx.call.findFirst({ where: { id: callId, conversationId } }))) throw new NotFoundError("Call");
  if (recordingId && !(await tx.recording.findFirst({ where: { id: recordingId, call: { conversationId } } }))) {
    throw new NotFoundError("Recording");
  }
}
