// Access changes reach live operations at once, on every API instance (issue 13). A revoked token or
// a membership change is published as an access notice (src/domain/access.ts); each instance keeps
// here the viewers of its live operations (graphql-ws operations, subscription streams). A revoked
// token ends the operations that use it; a membership change replaces their viewer with the user's
// current one — one query per notice for the user's followed tokens, none per event — so every
// event is checked at delivery against the viewer as it is now. Pub/sub is at-most-once: every
// `recheckMs` the followed tokens are also read again (one query for all), which bounds how long a
// lost notice can matter.
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { PubSub } from "./pubsub.ts";
import type { Logger } from "./logger.ts";
import type { AccessNotice, Viewer } from "./domain/access.ts";
import { viewersOfTokens } from "./domain/tokens.ts";

/** REVOKED: the token no longer authenticates (revoked, or its user deleted). MEMBERSHIP: the viewer
 * was replaced by the user's current one (memberships or role changed). */
export type AccessChange = "REVOKED" | "MEMBERSHIP";

/** What holds a followed viewer: a live operation's context. Its viewer is replaced on a change. */
export interface FollowedContext {
  viewer: Viewer | null;
}

export interface LiveAccess {
  /**
   * Follows the context's viewer (authenticated with a token) until the returned function is
   * called: `onChange` runs after each change of its access (after the viewer was replaced).
   */
  follow(context: FollowedContext, onChange: (change: AccessChange) => void): () => void;
  /** While a notice about the user is being applied, resolves when it is: an event delivered after
   * it must be checked against the viewer it leaves. Undefined when nothing is pending. */
  settled(userId: string): Promise<void> | undefined;
  close(): void;
}

interface Follower {
  context: FollowedContext;
  tokenId: string;
  userId: string;
  onChange: (change: AccessChange) => void;
}

function sameAccess(a: Viewer, b: Viewer): boolean {
  if (a.role !== b.role) return false;
  if (a.inboxIds === null || b.inboxIds === null) return a.inboxIds === b.inboxIds;
  return a.inboxIds.length === b.inboxIds.length && a.inboxIds.every((id) => b.inboxIds!.includes(id));
}

export async function startLiveAccess(
  deps: { prisma: PrismaClient; pubsub: PubSub; log: Logger },
  options: { recheckMs: number },
): Promise<LiveAccess> {
  const followers = new Map<string, Set<Follower>>();
  const pending = new Map<string, Promise<void>>();

  const followersOf = (userId: string) => [...(followers.get(userId) ?? [])];
  const unfollow = (follower: Follower) => {
    const set = followers.get(follower.userId);
    set?.delete(follower);
    if (set?.size === 0) followers.delete(follower.userId);
  };
  const notify = (follower: Follower, change: AccessChange) => {
    if (change === "REVOKED") unfollow(follower);
    try {
      follower.onChange(change);
    } catch (error) {
      deps.log.error({ err: error }, "applying an access change failed");
    }
  };

  /** Applies what the tokens stand for now: revoked ones end, changed viewers are replaced. */
  const apply = (of: Follower[], viewers: Map<string, Viewer | null>) => {
    // Decided for all before any viewer is replaced: followers can share a context.
    const changes = of.map((follower) => {
      const current = viewers.get(follower.tokenId);
      const viewer = follower.context.viewer;
      if (current === undefined || !viewer) return null;
      if (current === null || current.id !== viewer.id) return { follower, change: "REVOKED" as const };
      return sameAccess(current, viewer) ? null : { follower, change: "MEMBERSHIP" as const, current };
    });
    for (const entry of changes) if (entry?.change === "MEMBERSHIP") entry.follower.context.viewer = entry.current;
    for (const entry of changes) if (entry) notify(entry.follower, entry.change);
  };

  const reload = async (of: Follower[]) => {
    if (of.length === 0) return;
    apply(of, await viewersOfTokens(deps.prisma, [...new Set(of.map((f) => f.tokenId))]));
  };

  /** Called as each notice arrives: what must happen before the next event is done synchronously. */
  const onNotice = (notice: AccessNotice) => {
    if (notice.type === "TOKEN_REVOKED") {
      for (const follower of followersOf(notice.userId))
        if (follower.tokenId === notice.tokenId) notify(follower, "REVOKED");
      return;
    }
    if (!followers.has(notice.userId)) return;
    // Applied in arrival order per user; events for the user wait for it (settled).
    const previous = pending.get(notice.userId) ?? Promise.resolve();
    const applied = previous
      .then(() => reload(followersOf(notice.userId)))
      .catch((error: unknown) => deps.log.error({ err: error, userId: notice.userId }, "reloading access failed"))
      .finally(() => {
        if (pending.get(notice.userId) === applied) pending.delete(notice.userId);
      });
    pending.set(notice.userId, applied);
  };

  // Redis away at start must not stop the API from starting (its readiness says so): until notices
  // are heard (listening is tried again at each recheck), the recheck applies changes.
  let stopListening: (() => void) | null = null;
  let listening: Promise<void> | null = null;
  let closed = false;
  const listen = () => {
    listening ??= deps.pubsub
      .listen("access", "*", onNotice)
      .then((stop) => {
        if (closed) stop();
        else stopListening = stop;
      })
      .catch((error: unknown) => {
        deps.log.warn({ err: error }, "not listening to access changes yet: they apply at each recheck");
      })
      .finally(() => (listening = null));
    return listening;
  };
  await listen();
  let rechecking = false;
  const recheck = setInterval(() => {
    if (!stopListening) void listen();
    if (rechecking || followers.size === 0) return;
    rechecking = true;
    reload([...followers.values()].flatMap((set) => [...set]))
      .catch((error: unknown) => deps.log.warn({ err: error }, "rechecking live access failed"))
      .finally(() => (rechecking = false));
  }, options.recheckMs);
  recheck.unref();

  return {
    follow(context, onChange) {
      const viewer = context.viewer;
      if (!viewer?.tokenId) return () => {};
      const follower: Follower = { context, tokenId: viewer.tokenId, userId: viewer.id, onChange };
      const set = followers.get(viewer.id) ?? new Set();
      followers.set(viewer.id, set.add(follower));
      return () => unfollow(follower);
    },
    settled: (userId) => pending.get(userId),
    close() {
      closed = true;
      clearInterval(recheck);
      stopListening?.();
      followers.clear();
    },
  };
}
