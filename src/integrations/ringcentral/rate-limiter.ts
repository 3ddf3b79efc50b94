// The global per-user rate limiter for every RingCentral REST call (REFERENCE §5, §7.1).
//
// RingCentral limits each (user, app) per throttling group (Light/Medium/Heavy/Auth), and any request
// sent during a 429 penalty restarts the penalty ("the 429 trap"). So every client of the same user
// in this process shares one limiter: a 429 blocks that user's group until `Retry-After` has
// passed, and `X-Rate-Limit-Remaining: 0` blocks the group for its window before RingCentral has to
// say no. A request's group is only known from responses (`X-Rate-Limit-Group`), so the limiter
// learns it per route; a route it has not seen yet waits for every penalised group of the user.

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface RateLimitHeaders {
  group: string | null;
  remaining: number | null;
  windowSeconds: number | null;
}

export function rateLimitHeadersOf(headers: Headers): RateLimitHeaders {
  const number = (name: string) => {
    const value = headers.get(name);
    const parsed = value === null || value.trim() === "" ? NaN : Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  };
  return {
    group: headers.get("x-rate-limit-group")?.toLowerCase() ?? null,
    remaining: number("x-rate-limit-remaining"),
    windowSeconds: number("x-rate-limit-window"),
  };
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterSecondsOf(headers: Headers, now = Date.now()): number | null {
  const value = headers.get("retry-after")?.trim();
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - now) / 1000);
}

/** "GET /restapi/v1.0/account/{id}/extension/{id}" — ids folded so one route is one key. */
export function routeKey(method: string, url: string): string {
  const pathname = url.startsWith("http") ? new URL(url).pathname : url.split("?")[0]!;
  // Ids are numeric ("809646016"), "~", or prefixed hex ("s-a6ab…", "p-…-2"); "v1.0" is not an id.
  const folded = pathname
    .split("/")
    .map((segment) => (segment === "~" || /\d{3,}/.test(segment) ? "{id}" : segment))
    .join("/");
  return `${method.toUpperCase()} ${folded}`;
}

/** What an answer says about rate limits: its status and headers. */
export interface RestAnswer {
  status: number;
  headers: Headers;
}

/**
 * Sends a request that does not go through the SDK (the subscription library's requests over its
 * WebSocket) through the user's limiter like every other: `send` makes it, `answerOf` reads its
 * answer — or the error it failed with — when it has one.
 */
export type RequestGate = <R>(
  method: string,
  path: string,
  send: () => Promise<R>,
  answerOf: (outcome: unknown) => RestAnswer | null,
) => Promise<R>;

export class UserRateLimiter {
  /** Group → epoch ms until which nothing of that group may be sent. */
  private readonly blockedUntil = new Map<string, number>();
  /** Route key → the group RingCentral said it belongs to. */
  private readonly groupOfRoute = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Resolves when `route` may be sent; waits out penalties that apply to it. */
  async waitTurn(route: string, sleep: Sleep): Promise<void> {
    for (;;) {
      const wait = this.waitFor(route);
      if (wait <= 0) return;
      await sleep(wait);
    }
  }

  /** Milliseconds `route` must still wait (0: go). */
  waitFor(route: string): number {
    const group = this.groupOfRoute.get(route);
    const now = this.now();
    // A route of unknown group might be in any penalised group; "*" is a penalty of unknown group.
    const candidates =
      group === undefined
        ? [...this.blockedUntil.values()]
        : [this.blockedUntil.get(group) ?? 0, this.blockedUntil.get("*") ?? 0];
    return Math.max(0, ...candidates.map((until) => until - now));
  }

  /** Learns which group a route belongs to. */
  learnGroup(route: string, group: string | null): void {
    if (group) this.groupOfRoute.set(route, group);
  }

  /** Learns the route's group from an answer that went through and, when that answer used the group
   * up, holds it for its window (the next request would be refused and start a penalty). A 429 is
   * not observed here: its `Retry-After` alone says how long to hold the group (penalize). */
  observe(route: string, headers: RateLimitHeaders, secondMs: number): void {
    if (!headers.group) return;
    this.groupOfRoute.set(route, headers.group);
    if (headers.remaining === 0 && headers.windowSeconds !== null)
      this.block(headers.group, headers.windowSeconds * secondMs);
  }

  /** A 429: nothing of `group` (or, when unknown, of the route's group or the whole user) for `ms`. */
  penalize(route: string, group: string | null, ms: number): void {
    const known = group ?? this.groupOfRoute.get(route) ?? "*";
    if (group) this.groupOfRoute.set(route, group);
    this.block(known, ms);
  }

  private block(group: string, ms: number): void {
    const until = this.now() + ms;
    if ((this.blockedUntil.get(group) ?? 0) < until) this.blockedUntil.set(group, until);
  }
}

// One limiter per RingCentral user and app in the process: every client of that user shares it.
const limiters = new Map<string, UserRateLimiter>();

export function rateLimiterFor(userKey: string): UserRateLimiter {
  let limiter = limiters.get(userKey);
  if (!limiter) {
    limiter = new UserRateLimiter();
    limiters.set(userKey, limiter);
  }
  return limiter;
}
