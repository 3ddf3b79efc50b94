// Live events between API instances (R8.3): a typed topic map over an EventTarget that is Redis
// (@graphql-yoga/redis-event-target) when REDIS_URL is set, in memory otherwise. Redis pub/sub is
// at-most-once; subscribers that must not miss anything replay the event log (domain/event-log.ts).
import { Redis } from "ioredis";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import type { EventRecord } from "./domain/events.ts";
import type { Logger } from "./logger.ts";

/** Topic name → payload. The id completes the channel name: `inbox:<inboxId>`, `user:<userId>`. */
export interface TopicMap {
  /** Every event of a conversation in the inbox. */
  inbox: EventRecord;
  /** Events addressed to one user: mentions, incoming calls, status changes. */
  user: EventRecord;
  /** Every event (admins' dashboards). */
  all: EventRecord;
  /** The channels of a RingCentral connection changed (id `*`): the workers reconcile now. */
  channels: { connectionId: string | null };
}

export type Topic = keyof TopicMap;

type TopicEvent = CustomEvent<unknown>;
/** The part of an EventTarget used here; Node's EventTarget and the Redis event target both fit. */
interface TopicEventTarget {
  addEventListener(type: string, listener: (event: TopicEvent) => void): void;
  removeEventListener(type: string, listener: (event: TopicEvent) => void): void;
  dispatchEvent(event: TopicEvent): boolean;
}

export interface Subscription<T> extends AsyncIterable<T> {
  /** Stops listening and ends the iteration. */
  close(): void;
}

export interface PubSub {
  publish<K extends Topic>(topic: K, id: string, payload: TopicMap[K]): void;
  /** Resolves once the subscription is active, so nothing published afterwards can be missed. */
  subscribe<K extends Topic>(topic: K, id: string): Promise<Subscription<TopicMap[K]>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function channel(topic: Topic, id: string): string {
  return `switchboard:${topic}:${id}`;
}

export function createPubSub(redisUrl?: string, log?: Logger): PubSub {
  if (!redisUrl)
    return pubSubOver(
      new EventTarget() as unknown as TopicEventTarget,
      async () => {},
      async () => {},
    );
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  // Fail fast while Redis is away (readiness says so); ioredis reconnects by itself meanwhile.
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
  for (const client of [publishClient, subscribeClient]) {
    // Without a listener ioredis prints every reconnect failure to stderr, outside the JSON logs.
    client.on("error", (error: Error) => log?.warn({ err: error }, "Redis connection error"));
  }
  const target = createRedisEventTarget<TopicEvent>({ publishClient, subscribeClient }) as unknown as TopicEventTarget;
  return pubSubOver(
    target,
    // Commands on one connection run in order: when PING answers, every SUBSCRIBE sent before it is active.
    async () => {
      await subscribeClient.ping();
    },
    async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  );
}

function pubSubOver(target: TopicEventTarget, subscribed: () => Promise<void>, close: () => Promise<void>): PubSub {
  return {
    publish(topic, id, payload) {
      target.dispatchEvent(new CustomEvent(channel(topic, id), { detail: payload }));
    },
    async subscribe(topic, id) {
      const subscription = new QueuedSubscription<never>(target, channel(topic, id));
      await subscribed();
      return subscription;
    },
    ping: subscribed,
    close,
  };
}

/** Buffers events from the moment it is created until they are consumed. */
class QueuedSubscription<T> implements Subscription<T> {
  private readonly queue: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private closed = false;
  private readonly listener = (event: TopicEvent) => this.push(event.detail as T);

  constructor(
    private readonly target: TopicEventTarget,
    private readonly name: string,
  ) {
    target.addEventListener(name, this.listener);
  }

  private push(value: T): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
    } else {
      this.queue.push(value);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.target.removeEventListener(this.name, this.listener);
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const value = this.queue.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
