// The close-conversations timer (R4.2): an SMS channel with `closeAfterSeconds` archives its open
// conversations once they have been inactive that long. Their lastActivityAt stays: nothing happened.
import { conversationWithInboxes, recordActivity, type ConversationWithInboxes } from "../conversations.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "../event-log.ts";

/** Archives one conversation for inactivity, found so by threading a new message. */
export async function autoArchive(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  closeAfterSeconds: number,
) {
  await tx.conversation.update({
    where: { id: conversation.id },
    data: { status: "ARCHIVED", archivedAt: new Date() },
  });
  await recordActivity(tx, log, conversation, "AUTO_ARCHIVED", null, { closeAfterSeconds });
}

/** Archives open conversations of channels with a close timer that have been inactive longer than it. */
export async function archiveInactiveConversations(deps: Deps, now: Date): Promise<number> {
  const channels = await deps.prisma.channel.findMany({ where: { type: "SMS", closeAfterSeconds: { not: null } } });
  let archived = 0;
  for (const channel of channels) {
    const closeAfterSeconds = channel.closeAfterSeconds!;
    const cutoff = new Date(now.getTime() - closeAfterSeconds * 1000);
    for (const id of await openConversationsInactiveSince(deps, channel.id, cutoff)) {
      if (await archiveIfStillInactive(deps, id, { cutoff, now, closeAfterSeconds })) archived += 1;
    }
  }
  return archived;
}

async function openConversationsInactiveSince(deps: Deps, channelId: string, cutoff: Date): Promise<string[]> {
  const stale = await deps.prisma.conversation.findMany({
    where: { channelId, status: "OPEN", lastActivityAt: { lt: cutoff } },
    select: { id: true },
  });
  return stale.map(({ id }) => id);
}

/** Re-checks inside the transaction: a message may have arrived since the conversation was listed.
 * The archive is dated by the sweep's clock, the one inactivity was measured against. */
async function archiveIfStillInactive(
  deps: Deps,
  conversationId: string,
  { cutoff, now, closeAfterSeconds }: { cutoff: Date; now: Date; closeAfterSeconds: number },
) {
  return inTransaction(deps, async (tx, log) => {
    const archived = await tx.conversation.updateMany({
      where: { id: conversationId, status: "OPEN", lastActivityAt: { lt: cutoff } },
      data: { status: "ARCHIVED", archivedAt: now },
    });
    if (archived.count === 0) return false;
    const conversation = await tx.conversation.findUniqueOrThrow({
      where: { id: conversationId },
      include: conversationWithInboxes,
    });
    await recordActivity(tx, log, conversation, "AUTO_ARCHIVED", null, { closeAfterSeconds });
    return true;
  });
}
