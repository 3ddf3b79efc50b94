// Live events between API instances (R8.3): a typed topic map over an EventTarget that is Redis
// (@graphql-yoga/redis-event-target) when REDIS_URL is set, in memory otherwise. Redis pub/sub is
// at-most-once; subscribers that must not miss anything replay the event log (domain/event-log.ts).
import { Redis } from "ioredis";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import type { EventRecord } from "./domain/events.ts";
import type { AccessNotice } from "./domain/access.ts";
import type { Logger } from "./logger.ts";

/** Topic name → payload. The id completes the channel name: `all:<eventLog>`, `channels:*`. */
export interface TopicMap {
  /**
   * Every event of one event log (id: PubSub.eventLog). The API instances follow it and hand events to
   * their subscriptions by inbox and user (src/live-events.ts): one PUBLISH per event, whatever it
   * addresses.
   */
  all: EventRecord;
  /** The channels of a RingCentral connection changed (id `*`): the workers reconcile now. */
  channels: { connectionId: string | null };
  /** A token was revoked or someone's memberships changed (id `*`): live operations follow at once. */
  access: AccessNotice;
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
  /**
   * The id of the `all` topic: names the event log (its database) whose events it carries. One Redis
   * may serve several databases (deployments, test runs); their sequences must not mix.
   */
  readonly eventLog: string;
  publish<K extends Topic>(topic: K, id: string, payload: TopicMap[K]): void;
  /** Resolves once the subscription is active, so nothing published afterwards can be missed. */
  subscribe<K extends Topic>(topic: K, id: string): Promise<Subscription<TopicMap[K]>>;
  /**
   * Calls `listener` with each payload as it arrives — synchronously, so in arrival order with the
   * payloads of every other topic. Resolves, once active, with the function that stops listening.
   */
  listen<K extends Topic>(topic: K, id: string, listener: (payload: TopicMap[K]) => void): Promise<() => void>;
  /** Resolves once everything published so far has been handed to Redis (before a short-lived process exits). */
  flush(): Promise<void>;
  /**
   * Calls `listener` each time the subscribing connection is back after it was lost, once its
   * channels are subscribed again: whatever was published meanwhile was not received (at-most-once).
   * Returns the function that stops calling it. In memory nothing is ever lost: never called.
   */
  onResubscribed(listener: () => void): () => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function channel(topic: Topic, id: string): string {
  return `switchboard:${topic}:${id}`;
}

export function createPubSub(redisUrl?: string, log?: Logger, options: { eventLog?: string } = {}): PubSub {
  const eventLog = options.eventLog ?? "*";
  if (!redisUrl) {
    const target = new EventTarget() as unknown as TopicEventTarget;
    return pubSubOver(
      eventLog,
      target,
      (name, payload) => target.dispatchEvent(new CustomEvent(name, { detail: payload })),
      async () => {},
      async () => {},
      async () => {},
      new Set(),
    );
  }
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  // Fail fast while Redis is away (readiness says so); ioredis reconnects by itself meanwhile, and
  // subscribes again to every channel it was subscribed to (autoResubscribe).
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
  reportConnectionState(publishClient, "publish", log);
  reportConnectionState(subscribeClient, "subscribe", log);
  const resubscribed = new Set<() => void>();
  let connected = false;
  // Every 'ready' after the first is a new connection, even one quick enough to raise no error.
  subscribeClient.on("ready", () => {
    if (!connected) {
      connected = true;
      return;
    }
    // 'ready' is emitted after ioredis sent SUBSCRIBE again for every channel (autoResubscribe):
    // when PING answers, they are active, and anything published from then on is received.
    subscribeClient.ping().then(
      () => {
        for (const listener of [...resubscribed]) listener();
      },
      // Lost again before it answered: the next 'ready' tries again.
      (error: unknown) => log?.warn({ err: error }, "Redis subscription connection lost again while resubscribing"),
    );
  });
  const publisher = new RedisPublisher(publishClient, log);
  const target = createRedisEventTarget<TopicEvent>({
    publishClient,
    subscribeClient: withHandledSubscriptionCommands(subscribeClient, log),
  }) as unknown as TopicEventTarget;
  return pubSubOver(
    eventLog,
    target,
    // The event target serializes with JSON too (its default serializer), and parses what arrives.
    (name, payload) => publisher.publish(name, JSON.stringify(payload)),
    // Commands on one connection run in order: when PING answers, every SUBSCRIBE sent before it is active.
    async () => {
      await subscribeClient.ping();
    },
    async () => {
      publisher.close();
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
    () => publisher.flushed(),
    resubscribed,
  );
}

/**
 * Without an 'error' listener ioredis prints every reconnection failure to stderr, outside the JSON
 * logs; with one that logs them all, a Redis restart writes a line every few milliseconds. One
 * warning when the connection is lost, one line when it is back.
 */
/** Logs once when a Redis connection is lost and once when it is back (`role` names the connection). */
export function reportConnectionState(client: Redis, role: string, log?: Logger): void {
  let lost = false;
  client.on("error", (error: Error) => {
    if (lost) return;
    lost = true;
    log?.warn({ err: error, connection: role }, "Redis connection lost; reconnecting");
  });
  client.on("ready", () => {
    if (!lost) return;
    lost = false;
    log?.info({ connection: role }, "Redis connection back");
  });
}

/**
 * Defect: @graphql-yoga/redis-event-target sends SUBSCRIBE and UNSUBSCRIBE and drops their
 * promises: with Redis away they reject unhandled, which stops the process. Here they are caught.
 * A SUBSCRIBE that failed also fails the PING sent after it, so `subscribe()` rejects and its
 * listener is removed (pubSubOver); UNSUBSCRIBE failing matters not: a new connection starts with
 * only the channels still listened to.
 */
function withHandledSubscriptionCommands(client: Redis, log?: Logger): Redis {
  const handled = (command: string) => (error: unknown) =>
    log?.warn({ err: error, command }, "Redis subscription command failed");
  const commands = {
    on: (event: string, listener: (...args: unknown[]) => void) => client.on(event, listener),
    subscribe: (...channels: string[]) => client.subscribe(...channels).catch(handled("SUBSCRIBE")),
    unsubscribe: (...channels: string[]) => client.unsubscribe(...channels).catch(handled("UNSUBSCRIBE")),
  };
  // The event target calls only these three methods of its subscribe client.
  return commands as unknown as Redis;
}

/** How long a publish that failed waits before the next attempt: doubling up to the last. */
const PUBLISH_RETRY_DELAYS_MS = { first: 100, max: 5000 };
/** Messages held while Redis is away, at most; past that the oldest are dropped (and said so). They
 * stay in the event log: clients resuming with a cursor still get them. */
const MAX_HELD_MESSAGES = 100_000;

/**
 * Publishes what the event log committed. While Redis answers, publishes are pipelined as they
 * come. A publish that fails (Redis restarting: ioredis gives up on a command after a few
 * reconnection attempts) is held and retried with backoff, and every publish after it waits behind
 * it, so nothing committed goes unpublished and the order stays the commit order. (The event
 * target's own dispatchEvent drops the publish's promise: a failure there is an unhandled
 * rejection, which stops the process, and the event is lost — so it is not used for publishing.)
 */
class RedisPublisher {
  private readonly held: { channel: string; message: string }[] = [];
  private retrying = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: Redis,
    private readonly log?: Logger,
  ) {}

  publish(channel: string, message: string): void {
    if (this.closed) return;
    if (this.retrying) {
      this.hold({ channel, message });
      return;
    }
    this.client.publish(channel, message).catch((error: unknown) => this.failed({ channel, message }, error));
  }

  /** Resolves once every message published so far was handled by Redis; rejects while some are held. */
  async flushed(): Promise<void> {
    // Commands on one connection run in order: when PING answers, every PUBLISH sent before it was handled.
    await this.client.ping();
    if (this.held.length > 0) throw new Error(`${this.held.length} messages wait for Redis to be published`);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.held.length > 0)
      this.log?.warn(
        { unpublished: this.held.length },
        "closing with events not yet published to Redis; they stay in the event log",
      );
  }

  private hold(message: { channel: string; message: string }): void {
    this.held.push(message);
    if (this.held.length > MAX_HELD_MESSAGES) {
      this.held.shift();
      this.log?.error(
        { held: MAX_HELD_MESSAGES },
        "too many events waiting for Redis: dropped the oldest from live delivery (it stays in the event log)",
      );
    }
  }

  private failed(message: { channel: string; message: string }, error: unknown): void {
    if (this.closed) return;
    this.hold(message);
    if (this.retrying) return;
    this.retrying = true;
    this.log?.warn({ err: error }, "could not publish events to Redis; holding them and retrying");
    this.retryAfter(PUBLISH_RETRY_DELAYS_MS.first);
  }

  private retryAfter(delayMs: number): void {
    this.timer = setTimeout(() => void this.retry(delayMs), delayMs);
    // Holding events must not keep a process alive that is otherwise done.
    this.timer.unref();
  }

  /** Publishes the held messages in order; stops at the first failure and tries again later. */
  private async retry(delayMs: number): Promise<void> {
    let published = 0;
    while (this.held.length > 0 && !this.closed) {
      const next = this.held[0]!;
      try {
        await this.client.publish(next.channel, next.message);
      } catch (error) {
        const nextDelayMs = Math.min(delayMs * 2, PUBLISH_RETRY_DELAYS_MS.max);
        this.log?.warn(
          { err: error, waiting: this.held.length, retryInMs: nextDelayMs },
          "still cannot publish events to Redis",
        );
        this.retryAfter(nextDelayMs);
        return;
      }
      this.held.shift();
      published += 1;
    }
    this.retrying = false;
    if (published > 0) this.log?.info({ published }, "published the events held while Redis was away");
  }
}

function pubSubOver(
  eventLog: string,
  target: TopicEventTarget,
  publish: (channel: string, payload: unknown) => void,
  subscribed: () => Promise<void>,
  close: () => Promise<void>,
  flushed: () => Promise<void>,
  resubscribed: Set<() => void>,
): PubSub {
  return {
    eventLog,
    publish(topic, id, payload) {
      publish(channel(topic, id), payload);
    },
    async subscribe(topic, id) {
      // Listening from the moment it is created: nothing published after `subscribe` resolves is missed.
      const name = channel(topic, id);
      const listener = (event: TopicEvent) => subscription.push(event.detail as never);
      const subscription = new QueuedEvents<never>(() => target.removeEventListener(name, listener));
      target.addEventListener(name, listener);
      try {
        await subscribed();
      } catch (error) {
        subscription.close();
        throw error;
      }
      return subscription;
    },
    async listen(topic, id, listener) {
      const name = channel(topic, id);
      const onEvent = (event: TopicEvent) => listener(event.detail as never);
      target.addEventListener(name, onEvent);
      try {
        await subscribed();
      } catch (error) {
        target.removeEventListener(name, onEvent);
        throw error;
      }
      return () => target.removeEventListener(name, onEvent);
    },
    flush: flushed,
    onResubscribed(listener) {
      const own = () => listener();
      resubscribed.add(own);
      return () => resubscribed.delete(own);
    },
    ping: subscribed,
    close,
  };
}

/** Buffers what is pushed to it until it is consumed; `onClose` stops whatever feeds it. */
export class QueuedEvents<T> implements Subscription<T> {
  private readonly queue: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private closed = false;

  constructor(private readonly onClose: () => void) {}

  push(value: T): void {
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
    this.onClose();
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
