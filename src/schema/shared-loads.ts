// Fan-out without N×M database work: when one event reaches many subscribers, each subscriber's
// resolver asks for the same row at the same moment. `sharedLoad` coalesces identical loads that are
// in flight (single flight): the first caller runs the query, callers arriving before it settles
// share its result. Nothing is cached once it settles, so every load still reads the row as it is
// now (after the event) — only concurrent identical reads are merged.
import type { Viewer } from "../domain/access.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

const inFlight = new Map<string, Promise<unknown>>();

export function sharedLoad<T>(key: string, load: () => Promise<T>): Promise<T> {
  const running = inFlight.get(key);
  if (running) return running as Promise<T>;
  const started = load().finally(() => inFlight.delete(key));
  inFlight.set(key, started);
  return started;
}

/**
 * The conversation (with the Pothos `query` selection) when `viewer` may see it, else null — as
 * `findFirst({ where: { id, ...visibleConversations(viewer) } })`, but the row and its inboxes are
 * read once for every subscriber resolving the same event at the same time.
 */
export async function visibleConversationShared<Q extends object>(
  prisma: PrismaClient,
  query: Q,
  conversationId: string,
  viewer: Viewer,
): Promise<unknown> {
  const row = sharedLoad(`conversation:${conversationId}:${JSON.stringify(query)}`, () =>
    prisma.conversation.findUnique({ ...(query as object), where: { id: conversationId } }),
  );
  if (viewer.inboxIds === null) return row;
  row.catch(() => {}); // its failure reaches the callers that await it, not the ones denied below
  const allowed = viewer.inboxIds;
  const inboxes = await sharedLoad(`conversation-inboxes:${conversationId}`, () =>
    prisma.conversationInbox.findMany({ where: { conversationId }, select: { inboxId: true } }),
  );
  if (!inboxes.some((i) => allowed.includes(i.inboxId))) return null;
  return row;
}
