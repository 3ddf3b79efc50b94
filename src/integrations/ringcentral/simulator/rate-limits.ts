// User-level rate limits ([REFERENCE] §5): each (user, group) has a request budget per window;
// going over answers 429 with `Retry-After` and starts a penalty, and every request sent during
// the penalty restarts it (RingCentral's "429 trap"). Forced 429s (fault injection) come first.

import type { SimResponse, ThrottlingGroup } from "./core.ts";
import { apiError } from "./core.ts";

export interface GroupLimit {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
  /** How long a 429 lasts (the `Retry-After`). */
  penaltySeconds: number;
}

export type RateLimitConfig = Record<ThrottlingGroup, GroupLimit>;

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  Light: { limit: 50, windowSeconds: 60, penaltySeconds: 60 },
  Medium: { limit: 40, windowSeconds: 60, penaltySeconds: 60 },
  Heavy: { limit: 10, windowSeconds: 60, penaltySeconds: 60 },
  Auth: { limit: 5, windowSeconds: 60, penaltySeconds: 60 },
};

interface Bucket {
  windowStart: number;
  used: number;
  penaltyUntil: number;
}

interface ForcedLimit {
  group: ThrottlingGroup | undefined;
  remaining: number;
  retryAfterSeconds: number;
}

export interface RateLimitDecision {
  /** Headers for every limited response, allowed or not. */
  headers: Record<string, string>;
  /** The 429 to send instead of handling the request. */
  rejection?: SimResponse;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private forced: ForcedLimit[] = [];

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Fault injection: the next `count` requests (of `group`, or any group) get 429 with this Retry-After. */
  force(group: ThrottlingGroup | undefined, count: number, retryAfterSeconds: number): void {
    this.forced.push({ group, remaining: count, retryAfterSeconds });
  }

  reset(): void {
    this.buckets.clear();
    this.forced = [];
  }

  /** Forced 429s still to come. */
  pendingForced(): Array<{ group: ThrottlingGroup | null; remaining: number; retryAfterSeconds: number }> {
    return this.forced.map((f) => ({
      group: f.group ?? null,
      remaining: f.remaining,
      retryAfterSeconds: f.retryAfterSeconds,
    }));
  }

  clearForced(): void {
    this.forced = [];
  }

  /** Counts one request by `user` in `group` and says whether it may proceed. */
  check(user: string, group: ThrottlingGroup): RateLimitDecision {
    const limits = this.config[group];
    const bucket = this.bucketFor(`${user}|${group}`);
    const now = this.now();
    if (now - bucket.windowStart >= limits.windowSeconds * 1000) {
      bucket.windowStart = now;
      bucket.used = 0;
    }
    const forced = this.takeForced(group);
    if (forced) return this.reject(group, limits, 0, forced.retryAfterSeconds);
    if (bucket.penaltyUntil > now) {
      // The 429 trap: asking during the penalty restarts it.
      bucket.penaltyUntil = now + limits.penaltySeconds * 1000;
      return this.reject(group, limits, 0, limits.penaltySeconds);
    }
    if (bucket.used >= limits.limit) {
      bucket.penaltyUntil = now + limits.penaltySeconds * 1000;
      return this.reject(group, limits, 0, limits.penaltySeconds);
    }
    bucket.used++;
    return { headers: rateLimitHeaders(group, limits, limits.limit - bucket.used) };
  }

  private bucketFor(key: string): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { windowStart: this.now(), used: 0, penaltyUntil: 0 };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private takeForced(group: ThrottlingGroup): ForcedLimit | undefined {
    const forced = this.forced.find((f) => f.remaining > 0 && (f.group === undefined || f.group === group));
    if (!forced) return undefined;
    forced.remaining--;
    this.forced = this.forced.filter((f) => f.remaining > 0);
    return forced;
  }

  private reject(
    group: ThrottlingGroup,
    limits: GroupLimit,
    remaining: number,
    retryAfterSeconds: number,
  ): RateLimitDecision {
    const headers = { ...rateLimitHeaders(group, limits, remaining), "Retry-After": String(retryAfterSeconds) };
    const rejection =
      group === "Auth"
        ? {
            status: 429,
            headers,
            json: {
              error: "rate_limit_exceeded",
              error_description: "Request rate exceeded",
              errors: [{ errorCode: "CMN-301", message: "Request rate exceeded" }],
            },
          }
        : apiError(429, "CMN-301", "Request rate exceeded", undefined, headers);
    return { headers, rejection };
  }
}

/** RingCentral writes the group lower-case in practice (`light`, `medium`, ...). */
function rateLimitHeaders(group: ThrottlingGroup, limits: GroupLimit, remaining: number): Record<string, string> {
  return {
    "X-Rate-Limit-Group": group.toLowerCase(),
    "X-Rate-Limit-Limit": String(limits.limit),
    "X-Rate-Limit-Remaining": String(Math.max(0, remaining)),
    "X-Rate-Limit-Window": String(limits.windowSeconds),
  };
}
