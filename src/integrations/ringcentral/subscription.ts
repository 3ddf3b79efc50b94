// The WebSocket subscription of one connection, over @ringcentral/subscriptions (which runs
// @rc-ex/ws's WebSocketExtension underneath). Every workaround for a defect of those libraries is
// here, each next to the defect it works around, so the worker only sees notifications, recovery
// outcomes and a revoke that really stops everything.
import type { EventEmitter } from "node:events";
import type { SDK } from "@ringcentral/sdk";
import { Subscriptions } from "@ringcentral/subscriptions";
import type { RequestGate, RestAnswer } from "./rate-limiter.ts";

export interface SubscriptionListeners {
  notification(envelope: unknown): void;
  /** The WebSocket closed (or a reconnection attempt failed to open one): nothing arrives until a
   * recovery succeeds. */
  lost(): void;
  /** The WebSocket came back within the recovery window. Whatever RingCentral still buffered is
   * replayed; if more arrived than it buffers, `sequenceGap` says so. */
  recovered(): void;
  /** It came back too late: events of the gap are lost and must be reconciled from history. */
  recoveryFailed(): void;
  /** A reconnection attempt failed; the library tries again on its own. */
  recoveryError(error: unknown): void;
  /** Notifications of the session were never received (the first `missed` after `lastSeen`): most
   * often a recovery whose replay starts past them, as the recovery buffer overflowed. Events in
   * them are lost and must be reconciled from history. */
  sequenceGap(gap: SequenceGap): void;
}

export interface SequenceGap {
  /** The last sequence received before the gap. */
  lastSeen: number;
  /** The sequence that arrived next. */
  next: number;
  missed: number;
}

export interface WebSocketSubscription {
  /** Deletes the subscription (best effort) and stops the socket and every timer of the library. */
  revoke(): Promise<void>;
}

/** The parts of @rc-ex/ws's WebSocketExtension the workarounds below touch (not in its typings). */
interface WebSocketExtensionInternals {
  eventEmitter: EventEmitter;
  revoke(): Promise<void>;
  disable(): void;
  intervalHandle?: NodeJS.Timeout;
  pingServerHandle?: NodeJS.Timeout;
  ws?: LibrarySocket;
}

/** The library's sockets are `ws` WebSockets (through isomorphic-ws). */
interface LibrarySocket {
  close(): void;
  addEventListener(type: "close" | "error", listener: () => void): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}

/**
 * Follows the `wsc.sequence` RingCentral numbers the frames of one WebSocket session with
 * (REFERENCE §2.1: "ServerNotification push with an increasing wsc.sequence"), to tell when
 * notifications never arrived. A successful recovery continues the session and replays at most
 * `recoveryBufferSize` notifications, oldest dropped first — still reported "Successful" when
 * more were missed (§2.1 "Auto-recovery"), so only the sequence shows the loss. A new session (a
 * first connection, or a failed recovery, which the library reports itself) starts counting anew.
 */
export class SessionSequence {
  private lastSeen: number | undefined;

  /** Takes one frame as received; returns the gap it reveals, if any. */
  observe(frameText: string): SequenceGap | undefined {
    const frame = parseFrame(frameText);
    if (!frame) return undefined;
    const { type, sequence, recoveryState } = frame;
    if (type === "ConnectionDetails") {
      // A recovered session goes on from where this client stopped; what its ConnectionDetails
      // carries is not what was missed, the replay that follows shows that.
      if (recoveryState !== "Successful" || this.lastSeen === undefined) this.lastSeen = sequence;
      return undefined;
    }
    if (this.lastSeen === undefined) {
      this.lastSeen = sequence;
      return undefined;
    }
    const lastSeen = this.lastSeen;
    // Replies to the client's requests carry the session's sequence too; whether or not they
    // advance it, the highest number seen is where the next notification should follow.
    this.lastSeen = Math.max(lastSeen, sequence);
    if (type !== "ServerNotification" || sequence <= lastSeen + 1) return undefined;
    return { lastSeen, next: sequence, missed: sequence - lastSeen - 1 };
  }
}

function parseFrame(text: string): { type: unknown; sequence: number; recoveryState: unknown } | undefined {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined; // multipart REST-over-WS replies (not used here) are not JSON
  }
  if (!Array.isArray(frame)) return undefined;
  const [meta, body] = frame as [{ type?: unknown; wsc?: { sequence?: unknown } } | null, unknown];
  const sequence = meta?.wsc?.sequence;
  if (typeof sequence !== "number" || !Number.isSafeInteger(sequence)) return undefined;
  const recoveryState = (body as { recoveryState?: unknown } | null | undefined)?.recoveryState;
  return { type: meta?.type, sequence, recoveryState };
}

function frameText(data: unknown): string | undefined {
  if (typeof data === "string") return data;
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  return undefined;
}

type WebSocketRequest = (method: string, endpoint: string, ...rest: unknown[]) => Promise<unknown>;

/** The library's answer to a request over the WebSocket, or the RestException it throws for one. */
function webSocketAnswerOf(outcome: unknown): RestAnswer | null {
  const answer = ((outcome as { response?: unknown } | null)?.response ?? outcome) as {
    status?: unknown;
    headers?: unknown;
  } | null;
  if (typeof answer?.status !== "number") return null;
  const headers = Object.entries((answer.headers ?? {}) as Record<string, unknown>);
  return { status: answer.status, headers: new Headers(headers.map(([name, value]) => [name, String(value)])) };
}

/**
 * Defect: the library creates, renews and deletes the subscription with requests over its
 * WebSocket, past the SDK and so past the app's rate limiter (a 429 there failed the subscription,
 * and retrying at once would restart RingCentral's penalty). Each WebSocket extension it makes
 * sends them through `gate` instead.
 */
function gatedSubscriptions(sdk: SDK, gate: RequestGate): Subscriptions {
  const subscriptions = new Subscriptions({ sdk });
  const newWsExtension = subscriptions.newWsExtension.bind(subscriptions);
  subscriptions.newWsExtension = async () => {
    const extension = await newWsExtension();
    const request = extension.request.bind(extension) as WebSocketRequest;
    const gated: WebSocketRequest = (method, endpoint, ...rest) =>
      gate(method, endpoint, () => request(method, endpoint, ...rest), webSocketAnswerOf);
    extension.request = gated as typeof extension.request;
    return extension;
  };
  return subscriptions;
}

export async function openWebSocketSubscription(
  sdk: SDK,
  gate: RequestGate,
  eventFilters: string[],
  listeners: SubscriptionListeners,
): Promise<WebSocketSubscription> {
  const subscription = gatedSubscriptions(sdk, gate).createSubscription();
  subscription.on(subscription.events.notification, (envelope: unknown) => listeners.notification(envelope));
  const registered = await subscription.setEventFilters(eventFilters).register();
  const extension = registered.wse as unknown as WebSocketExtensionInternals;
  // Defect: @ringcentral/subscriptions does not re-emit the WebSocket extension's recovery events,
  // so they are read from the extension's own (undocumented) emitter.
  extension.eventEmitter.on("autoRecoverSuccess", () => listeners.recovered());
  extension.eventEmitter.on("autoRecoverFailed", () => listeners.recoveryFailed());
  extension.eventEmitter.on("autoRecoverError", (error: unknown) => listeners.recoveryError(error));
  // Defect: a recovery reported successful may have lost notifications (the library never looks at
  // the sequence it stores): each frame of each socket has its sequence checked here.
  const sequence = new SessionSequence();
  // Defect: nothing tells when the socket closes (the library notices at its next check, seconds
  // later, and says so only once it recovered), and its sockets have no 'error' listener, so a
  // refused reconnection (the gateway answering the upgrade with an HTTP error) throws from ws's
  // EventEmitter and stops the process. Each socket it opens gets these listeners here; a socket
  // already replaced by a newer one closing late says nothing.
  const watch = (socket: LibrarySocket | undefined) => {
    socket?.addEventListener("message", (event) => {
      const text = extension.ws === socket ? frameText(event.data) : undefined;
      const gap = text === undefined ? undefined : sequence.observe(text);
      if (gap) listeners.sequenceGap(gap);
    });
    socket?.addEventListener("error", () => {});
    socket?.addEventListener("close", () => {
      if (extension.ws === socket) listeners.lost();
    });
  };
  watch(extension.ws);
  extension.eventEmitter.on("newWebSocketObject", watch);
  return {
    revoke: async () => {
      try {
        await registered.revoke();
      } finally {
        await disposeWebSocket(extension);
      }
    },
  };
}

/**
 * Defect: the extension's own revoke() stops its recovery timer only when the DELETE works — not on
 * a dead socket, where the timer would keep reconnecting a subscription nobody wants. Its timers
 * and socket are stopped by hand.
 */
async function disposeWebSocket(extension: WebSocketExtensionInternals): Promise<void> {
  await extension.revoke().catch(() => {});
  clearInterval(extension.intervalHandle);
  clearTimeout(extension.pingServerHandle);
  extension.disable();
  extension.ws?.close();
}

/**
 * Defect: after the session died, the library keeps reconnecting with the WebSocket token it got
 * from that session (refused as WSG-401) and never asks for a new one: only a new login helps.
 */
export function recoveryNeedsNewLogin(error: unknown): boolean {
  return String((error as Error | null)?.message).includes("WSG-401");
}

/** Errors the RingCentral SDK and its WebSocket extension raise. */
function fromRingCentralLibrary(reason: unknown): boolean {
  const error = reason as { name?: string; constructor?: { name?: string }; stack?: string } | null;
  const name = error?.constructor?.name ?? error?.name ?? "";
  const libraryErrors = ["RestException", "ConnectionException", "TimeoutException"];
  return libraryErrors.includes(name) || /@rc-ex|@ringcentral\/sdk/.test(error?.stack ?? "");
}

/**
 * Defect: @rc-ex/ws rethrows a RestException (e.g. a refused wstoken after the session died) from
 * inside its recovery timer, where no caller can catch it: an unhandled rejection that leaves the
 * subscription dead for good. Only a process-wide `unhandledRejection` listener sees it; this one
 * hands the library's errors to `gaveUp` and rethrows anything else, which keeps Node's default of
 * stopping the process. Returns the function that removes the listener.
 */
export function onSubscriptionGivenUp(gaveUp: (reason: unknown) => void): () => void {
  const onRejection = (reason: unknown) => {
    if (!fromRingCentralLibrary(reason)) throw reason;
    gaveUp(reason);
  };
  process.on("unhandledRejection", onRejection);
  return () => process.off("unhandledRejection", onRejection);
}
