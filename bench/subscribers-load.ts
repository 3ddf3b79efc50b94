// Load generator for bench/fan-out.ts and bench/memory.ts, in its own process: many graphql-ws
// clients (one WebSocket each) holding one subscription each, and the trigger of an event.
import WebSocket from "ws";
import { createClient, type Client } from "graphql-ws";
import { Redis } from "ioredis";
import { redisUrl, serveLoad, settleMs, sleep } from "./harness.ts";

let redis: Redis | null = null;

interface Subscriber {
  client: Client;
  unsubscribe: () => void;
}

let subscribers: Subscriber[] = [];
let received = 0;
let errors = 0;
let lastError = "";
let waiter: { count: number; resolve: (t: number) => void } | null = null;

function onEvent() {
  received += 1;
  if (waiter && received >= waiter.count) {
    const w = waiter;
    waiter = null;
    w.resolve(performance.now());
  }
}

async function openSubscriber(
  url: string,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown>,
): Promise<Subscriber> {
  let connected!: () => void;
  let failed!: (e: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    connected = resolve;
    failed = reject;
  });
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    on: { connected: () => connected(), closed: (e) => failed(e) },
  });
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) {
          errors += 1;
          lastError = JSON.stringify(result.errors);
        } else onEvent();
      },
      error: (e) => {
        errors += 1;
        lastError = String((e as Error)?.message ?? JSON.stringify(e));
      },
      complete: () => {},
    },
  );
  await ready;
  return { client, unsubscribe };
}

serveLoad({
  /** Opens `count` sockets, each subscribed with `query` (tokens used round-robin). */
  async connect({
    url,
    count,
    tokens,
    query,
    variables,
    settleMs = 1000,
  }: {
    url: string;
    count: number;
    tokens: (string | undefined)[];
    query: string;
    variables: Record<string, unknown>;
    settleMs?: number;
  }) {
    const batch = 200;
    for (let i = 0; i < count; i += batch) {
      const opened = await Promise.all(
        Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
          openSubscriber(url, tokens[(i + j) % tokens.length], query, variables),
        ),
      );
      subscribers.push(...opened);
    }
    // graphql-ws does not acknowledge a subscribe: let the server finish setting them up.
    await sleep(settleMs);
    return { connected: subscribers.length, errors, lastError };
  },
  /** POSTs `body` to `url` and waits until `expect` more events have arrived in total; returns the time taken. */
  async trigger({
    url,
    body,
    headers,
    expect,
    timeoutMs = 60_000,
  }: {
    url: string;
    body: unknown;
    headers?: Record<string, string>;
    expect: number;
    timeoutMs?: number;
  }) {
    const before = received;
    const done = new Promise<number>((resolve) => (waiter = { count: before + expect, resolve }));
    const t0 = performance.now();
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok || text.includes('"errors"') || text.includes('"code"'))
      throw new Error(`trigger failed: ${response.status} ${text.slice(0, 500)}`);
    const end = await Promise.race([done, sleep(timeoutMs).then(() => null)]);
    waiter = null;
    return { ms: end === null ? null : end - t0, delivered: received - before, errors, lastError };
  },
  /** PUBLISHes `message` on the Redis `channel` (what a server's pub/sub does after an event) and
   * waits until `expect` more events have arrived in total; returns the time taken. */
  async publish({
    channel,
    message,
    expect,
    timeoutMs = 60_000,
  }: {
    channel: string;
    message: unknown;
    expect: number;
    timeoutMs?: number;
  }) {
    redis ??= new Redis(redisUrl);
    const before = received;
    const done = new Promise<number>((resolve) => (waiter = { count: before + expect, resolve }));
    const t0 = performance.now();
    await redis.publish(channel, JSON.stringify(message));
    const end = await Promise.race([done, sleep(timeoutMs).then(() => null)]);
    waiter = null;
    return { ms: end === null ? null : end - t0, delivered: received - before, errors, lastError };
  },
  /** Unsubscribes (complete) and subscribes again on the same sockets, `cycles` times in total. */
  async cycle({ cycles, query, variables }: { cycles: number; query: string; variables: Record<string, unknown> }) {
    let n = 0;
    while (n < cycles) {
      for (const s of subscribers) {
        if (n >= cycles) break;
        s.unsubscribe();
        s.unsubscribe = s.client.subscribe(
          { query, variables },
          { next: () => {}, error: () => (errors += 1), complete: () => {} },
        );
        n += 1;
      }
      await sleep(5); // let the frames go out
    }
    await sleep(settleMs(500));
    return { cycles: n, errors };
  },
  async disconnect() {
    await Promise.all(subscribers.map((s) => s.client.dispose()));
    subscribers = [];
    await sleep(settleMs(500));
    return { errors, lastError };
  },
});
