// Fan-out without N×M database work: when one event reaches many subscribers, each subscriber's
// resolver asks for the same row at the same moment. `sharedLoad` coalesces identical loads that are
// in flight (single flight): the first caller runs the query, callers arriving before it settles
// share its result. Nothing is cached once it settles, so every load still reads the row as it is
// now (after the event) — only concurrent identical reads are merged.
import { queryFromInfo } from "@pothos/plugin-prisma";
import type { FieldNode, GraphQLResolveInfo } from "graphql";
import type { Viewer } from "../domain/access.ts";
import type { Context } from "../context.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

const inFlight = new Map<string, Promise<unknown>>();

export function sharedLoad<T>(key: string, load: () => Promise<T>): Promise<T> {
  const running = inFlight.get(key);
  if (running !== undefined) return running as Promise<T>;
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

/**
 * The Prisma query (select/include and the loader mappings of the relations below) for the field
 * `info` resolves — what `t.prismaField` hands its resolver — planned once per subscription
 * instead of once per event. A subscription resolves the same selection, with the same variables
 * and the same context, for every event; planning it walks the selection and records the
 * mappings again each time, per subscriber per event. The plan's
 * loader mappings are recorded in the context by the first play under the field's response path,
 * which is the same for every event, so the relations below keep resolving from the loaded row.
 * (Were a mapping missing, Pothos would load the relation by itself: slower, never different.)
 */
export function subscriptionQuery(ctx: Context, info: GraphQLResolveInfo): Promise<object> | object {
  let plans = plannedQueries.get(ctx);
  // A plan holds the viewer's visibility filters: an access change replaces the viewer
  // (src/live-access.ts), and the selection is planned again for it.
  if (!plans || plans.viewer !== ctx.viewer) {
    plans = { viewer: ctx.viewer, byField: new WeakMap() };
    plannedQueries.set(ctx, plans);
  }
  const { byField } = plans;
  const node = info.fieldNodes[0]!;
  let planned = byField.get(node);
  if (!planned) {
    planned = [];
    byField.set(node, planned);
  }
  // Compared in place: building the path's key for every event cost as much as the rest of the lookup.
  for (const entry of planned)
    if (entry.parentType === info.parentType.name && samePath(entry.path, info.path)) return entry.query;
  // As t.prismaField plans it (src/schema/builder.ts sets no onUnusedQuery, no skipDeferredFragments).
  const query = queryFromInfo({ context: ctx, info, awaitSelections: true }) as Promise<object> | object;
  planned.push({ parentType: info.parentType.name, path: responseKeys(info.path), query });
  return query;
}

interface PlannedQuery {
  parentType: string;
  /** The response path's field keys, the field's own first (list indices left out, as Pothos does). */
  path: string[];
  query: Promise<object> | object;
}

const plannedQueries = new WeakMap<
  Context,
  { viewer: Context["viewer"]; byField: WeakMap<FieldNode, PlannedQuery[]> }
>();

function responseKeys(path: GraphQLResolveInfo["path"] | undefined): string[] {
  const keys: string[] = [];
  for (let p = path; p; p = p.prev) if (typeof p.key === "string") keys.push(p.key);
  return keys;
}

function samePath(keys: string[], path: GraphQLResolveInfo["path"] | undefined): boolean {
  let i = 0;
  for (let p = path; p; p = p.prev) {
    if (typeof p.key !== "string") continue;
    if (keys[i] !== p.key) return false;
    i += 1;
  }
  return i === keys.length;
}
