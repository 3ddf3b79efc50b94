// Shared by the resumable subscriptions: cursor parsing and the inbox access check.
import { GraphQLError } from "graphql";
import type { Context } from "../context.ts";
import { canSeeInbox } from "../domain/access.ts";
import { resumableEvents } from "../domain/event-log.ts";
import { isEventOf, type EventType } from "../domain/events.ts";
import { viewerOf } from "../schema/viewer.ts";

/** `after` cursors are event sequences: decimal digits. */
export function parseEventCursor(after: string | null | undefined): bigint | null {
  if (after == null) return null;
  if (!/^\d{1,19}$/.test(after))
    throw new GraphQLError(`"${after}" is not an event cursor`, { extensions: { code: "BAD_USER_INPUT" } });
  return BigInt(after);
}

/** The inbox id, when it exists and the viewer may see it; otherwise NOT_FOUND, as if missing. */
export async function requireVisibleInbox(ctx: Context, inboxId: string): Promise<string> {
  const inbox = await ctx.prisma.inbox.findUnique({ where: { id: inboxId }, select: { id: true } });
  if (!inbox || !canSeeInbox(viewerOf(ctx), inbox.id))
    throw new GraphQLError("Inbox not found", { extensions: { code: "NOT_FOUND" } });
  return inbox.id;
}

/** Resumable events of an inbox the viewer can see. */
export async function inboxEventStream(ctx: Context, inboxId: string, after: string | null | undefined) {
  const cursor = parseEventCursor(after);
  const visible = await requireVisibleInbox(ctx, inboxId);
  return resumableEvents(ctx, "inbox", visible, { inboxIds: { has: visible } }, cursor);
}

/** Resumable events of some types of an inbox the viewer can see. */
export async function inboxEventsOf<K extends EventType>(
  ctx: Context,
  inboxId: string,
  after: string | null | undefined,
  types: readonly K[],
) {
  const cursor = parseEventCursor(after);
  const visible = await requireVisibleInbox(ctx, inboxId);
  const where = { inboxIds: { has: visible }, type: { in: [...types] } };
  return resumableEvents(ctx, "inbox", visible, where, cursor, (event) => isEventOf(types, event));
}

/** Resumable events addressed to the viewer, of the given types. */
export function viewerEventStream<K extends EventType>(
  ctx: Context,
  after: string | null | undefined,
  types: readonly K[],
) {
  const viewer = viewerOf(ctx);
  const where = { userIds: { has: viewer.id }, type: { in: [...types] } };
  return resumableEvents(ctx, "user", viewer.id, where, parseEventCursor(after), (event) => isEventOf(types, event));
}

/**
 * `extensions` of a subscription field whose value is the event its stream yields, unchanged
 * (`resolve: (event) => event`). Pothos wraps that resolver with the field's argument mappers, so a
 * `globalID` argument is decoded again for every event delivered to every subscriber, only to be
 * ignored; src/schema/index.ts gives such fields a bare identity resolver instead. The arguments were
 * decoded, with the same context, when the subscription started: nothing can differ.
 */
export const EVENT_IS_RESULT = { eventIsResult: true } as const;
