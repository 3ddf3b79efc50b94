// Moving things between conversations: splitting a conversation that mixes topics (R4.6) and
// moving a call to another conversation of the same contact (a caller ringing back about something
// else). Both conversations get a timeline activity naming the other and an event, in one
// transaction, so live and resumed subscribers see both or neither.
import type { Prisma } from "../generated/prisma/client.ts";
import { visibleCalls, type Viewer } from "./access.ts";
import {
  inboxIdsOf,
  openConversation,
  recordActivity,
  requireAssignable,
  requireVisibleConversation,
  touchConversation,
} from "./conversations.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import { inTransaction, type Deps } from "./event-log.ts";
import { lockConversation } from "../store/locks.ts";

/** The kind of object a split point's id names, and its id. */
export interface SplitPoint {
  kind: string;
  id: string;
}

/** Messages of a conversation at or after `message` in timeline order (time, then id), or before it. */
function messagesFrom(message: { conversationId: string; createdAt: Date; id: string }, before = false) {
  const at = message.createdAt;
  const where: Prisma.MessageWhereInput = before
    ? { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: message.id } }] }
    : { OR: [{ createdAt: { gt: at } }, { createdAt: at, id: { gte: message.id } }] };
  return { conversationId: message.conversationId, ...where };
}

/**
 * Moves a message and every later message of the conversation into a new conversation with the
 * same inboxes, contact and channel — open, and unassigned unless `assigneeId` is given. Calls and
 * comments stay (a call moves on its own: moveCallToConversation).
 */
export async function splitConversation(
  deps: Deps,
  viewer: Viewer,
  input: { conversationId: string; from: SplitPoint; assigneeId?: string | null },
) {
  if (input.from.kind === "Call")
    throw new InvalidInputError(
      "A call does not split a conversation: move it with moveCallToConversation",
      "fromMessageId",
    );
  return inTransaction(deps, async (tx, log) => {
    await lockConversation(tx, input.conversationId);
    const original = await requireVisibleConversation(tx, viewer, input.conversationId);
    const from =
      input.from.kind === "Message"
        ? await tx.message.findFirst({ where: { id: input.from.id, conversationId: original.id } })
        : null;
    if (!from) throw new InvalidInputError("Not a message of this conversation", "fromMessageId");
    if ((await tx.message.count({ where: messagesFrom(from, true) })) === 0)
      throw new InvalidInputError("The first message cannot split a conversation: nothing would stay", "fromMessageId");
    const inboxIds = inboxIdsOf(original);
    if (input.assigneeId) await requireAssignable(tx, input.assigneeId, inboxIds);
    const moving = await tx.message.findMany({ where: messagesFrom(from), select: { id: true } });
    const created = await openConversation(tx, log, {
      inboxIds,
      channelId: original.channelId,
      contactId: original.contactId,
      subject: original.subject,
      assigneeId: input.assigneeId,
      splitFromId: original.id,
    });
    await tx.message.updateMany({
      where: { id: { in: moving.map((m) => m.id) } },
      data: { conversationId: created.id },
    });
    const counted = { messageId: from.id, messageCount: moving.length };
    await recordActivity(tx, log, original, "SPLIT", viewer.id, { newConversationId: created.id, ...counted });
    await recordActivity(tx, log, created, "SPLIT_FROM", viewer.id, {
      originalConversationId: original.id,
      ...counted,
    });
    if (input.assigneeId)
      await recordActivity(tx, log, created, "ASSIGNED", viewer.id, { assigneeId: input.assigneeId }, [
        input.assigneeId,
      ]);
    return {
      conversation: await touchConversation(tx, original.id),
      newConversation: await touchConversation(tx, created.id),
    };
  });
}

const CALL_IN_PROGRESS = ["RINGING", "QUEUED", "IN_PROGRESS", "ON_HOLD"];

/**
 * Moves a call that has ended — with its recordings, its comments and its call activities — to
 * another conversation of the same contact.
 */
export async function moveCallToConversation(
  deps: Deps,
  viewer: Viewer,
  input: { callId: string; conversationId: string },
) {
  return inTransaction(deps, async (tx, log) => {
    const seen = await tx.call.findFirst({ where: { AND: [{ id: input.callId }, visibleCalls(viewer)] } });
    if (!seen) throw new NotFoundError("Call");
    if (seen.conversationId === input.conversationId)
      throw new InvalidInputError("The call is already in this conversation", "conversationId");
    // Both rows, in a fixed order, so two opposite moves cannot deadlock.
    for (const id of [seen.conversationId, input.conversationId].sort()) await lockConversation(tx, id);
    const call = await tx.call.findUniqueOrThrow({ where: { id: seen.id } });
    if (call.conversationId !== seen.conversationId)
      throw new ConflictError("The call was moved meanwhile; try again", "callId");
    const source = await requireVisibleConversation(tx, viewer, call.conversationId);
    const target = await requireVisibleConversation(tx, viewer, input.conversationId);
    if (!source.contactId || source.contactId !== target.contactId)
      throw new InvalidInputError("A call moves only to another conversation of the same contact", "conversationId");
    if (CALL_IN_PROGRESS.includes(call.status))
      throw new InvalidInputError("A call in progress cannot be moved; move it once it has ended", "callId");
    const moved = await tx.call.update({ where: { id: call.id }, data: { conversationId: target.id } });
    await tx.comment.updateMany({ where: { callId: call.id }, data: { conversationId: target.id } });
    await tx.activity.updateMany({ where: { callId: call.id }, data: { conversationId: target.id } });
    await recordActivity(tx, log, source, "CALL_MOVED_OUT", viewer.id, {
      callId: call.id,
      toConversationId: target.id,
    });
    await recordActivity(tx, log, target, "CALL_MOVED_IN", viewer.id, {
      callId: call.id,
      fromConversationId: source.id,
    });
    return {
      call: moved,
      fromConversation: await touchConversation(tx, source.id),
      toConversation: await touchConversation(tx, target.id),
    };
  });
}
