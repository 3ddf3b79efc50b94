// Shared by the resumable subscriptions: cursor parsing, the inbox access check, and following the
// viewer's access while a stream is live (issue 13).
import { GraphQLError } from "graphql";
import type { Context } from "../context.ts";
import { canSeeEvent, canSeeInbox, type Viewer } from "../domain/access.ts";
import { resumableEvents } from "../domain/event-log.ts";
import { isEventOf, type EventRecord, type EventType } from "../domain/events.ts";
import { viewerOf } from "../schema/viewer.ts";

/** `after` cursors are event sequences: decimal digits. */
export function parseEventCursor(after: string | null | undefined): bigint | null {
  if (after == null) return null;
  if (!/^\d{1,19}$/.test(after))
    throw new GraphQLError(`"${after}" is not an event cursor`, { extensions: { code: "BAD_USER_INPUT" } });
  return BigInt(after);
}

const inboxNotFound = () => new GraphQLError("Inbox not found", { extensions: { code: "NOT_FOUND" } });

/** The inbox id, when it exists and the viewer may see it; otherwise NOT_FOUND, as if missing. */
export async function requireVisibleInbox(ctx: Context, inboxId: string): Promise<string> {
  const inbox = await ctx.prisma.inbox.findUnique({ where: { id: inboxId }, select: { id: true } });
  if (!inbox || !canSeeInbox(viewerOf(ctx), inbox.id)) throw inboxNotFound();
  return inbox.id;
}

/**
 * A live stream that follows its viewer's access (src/live-access.ts). Each event is delivered only
 * if `visible` to the viewer as the latest access change left it (an event arriving while a change
 * is being applied waits for it). A revoked token ends the stream with UNAUTHENTICATED; after a
 * membership change, `lost` may end it with its error — at once, not at the next event.
 */
function followingAccess<T extends EventRecord>(
  ctx: Context,
  source: AsyncGenerator<T>,
  visible: (viewer: Viewer, event: T) => boolean,
  lost: (viewer: Viewer) => GraphQLError | null = () => null,
): AsyncGenerator<T> {
  let failure: GraphQLError | null = null;
  let ended = false;
  const unfollow =
    ctx.access?.follow(ctx, (change) => {
      failure =
        change === "REVOKED"
          ? new GraphQLError("This API token was revoked", { extensions: { code: "UNAUTHENTICATED" } })
          : lost(viewerOf(ctx));
      // Ends the source's wait for its next event, so the failure is reported now.
      if (failure) source.return(undefined).catch(() => {});
    }) ?? (() => {});
  const stream = {
    async next(): Promise<IteratorResult<T>> {
      if (ended) return { value: undefined, done: true };
      for (;;) {
        const result = await source.next();
        const applying = ctx.viewer ? ctx.access?.settled(ctx.viewer.id) : undefined;
        if (applying !== undefined) await applying;
        if (failure) {
          unfollow();
          // Reported once: a consumer that asks again (yoga's server-sent events do) finds the end.
          const error = failure;
          failure = null;
          ended = true;
          throw error;
        }
        if (result.done) {
          unfollow();
          return result;
        }
        if (ctx.viewer && visible(ctx.viewer, result.value)) return result;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      unfollow();
      await source.return(undefined);
      return { value: undefined, done: true };
    },
    async throw(error: unknown): Promise<IteratorResult<T>> {
      unfollow();
      await source.return(undefined);
      throw error;
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream as AsyncGenerator<T>;
}

/** Follows an inbox stream: it ends with NOT_FOUND once the viewer can no longer see the inbox. */
function whileInboxVisible<T extends EventRecord>(ctx: Context, inboxId: string, source: AsyncGenerator<T>) {
  return followingAccess(
    ctx,
    source,
    (viewer) => canSeeInbox(viewer, inboxId),
    (viewer) => (canSeeInbox(viewer, inboxId) ? null : inboxNotFound()),
  );
}

/** Resumable events of an inbox the viewer can see. */
export async function inboxEventStream(ctx: Context, inboxId: string, after: string | null | undefined) {
  const cursor = parseEventCursor(after);
  const visible = await requireVisibleInbox(ctx, inboxId);
  return whileInboxVisible(
    ctx,
    visible,
    resumableEvents(ctx, "inbox", visible, { inboxIds: { has: visible } }, cursor),
  );
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
  return whileInboxVisible(
    ctx,
    visible,
    resumableEvents(ctx, "inbox", visible, where, cursor, (event) => isEventOf(types, event)),
  );
}

/** Resumable events addressed to the viewer, of the given types. */
export function viewerEventStream<K extends EventType>(
  ctx: Context,
  after: string | null | undefined,
  types: readonly K[],
) {
  const viewer = viewerOf(ctx);
  const where = { userIds: { has: viewer.id }, type: { in: [...types] } };
  const cursor = parseEventCursor(after);
  // Addressed to the viewer, but of inboxes: only those of an inbox they are in now are delivered.
  return followingAccess(
    ctx,
    resumableEvents(ctx, "user", viewer.id, where, cursor, (event) => isEventOf(types, event)),
    canSeeEvent,
  );
}

/**
 * `extensions` of a subscription field whose value is the event its stream yields, unchanged
 * (`resolve: (event) => event`). Pothos wraps that resolver with the field's argument mappers, so a
 * `globalID` argument is decoded again for every event delivered to every subscriber, only to be
 * ignored; src/schema/index.ts gives such fields a bare identity resolver instead. The arguments were
 * decoded, with the same context, when the subscription started: nothing can differ.
 */
export const EVENT_IS_RESULT = { eventIsResult: true } as const;
