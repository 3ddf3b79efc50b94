// The WebSocket subscription of one connection, over @ringcentral/subscriptions (which runs
// @rc-ex/ws's WebSocketExtension underneath). Every workaround for a defect of those libraries is
// here, each next to the defect it works around, so the worker only sees notifications, recovery
// outcomes and a revoke that really stops everything.
import type { EventEmitter } from "node:events";
import type { SDK } from "@ringcentral/sdk";
import { Subscriptions } from "@ringcentral/subscriptions";

export interface SubscriptionListeners {
  notification(envelope: unknown): void;
  /** The WebSocket closed (or a reconnection attempt failed to open one): nothing arrives until a
   * recovery succeeds. */
  lost(): void;
  /** The WebSocket came back within the recovery window: nothing was missed. */
  recovered(): void;
  /** It came back too late: events of the gap are lost and must be reconciled from history. */
  recoveryFailed(): void;
  /** A reconnection attempt failed; the library tries again on its own. */
  recoveryError(error: unknown): void;
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
}

export async function openWebSocketSubscription(
  sdk: SDK,
  eventFilters: string[],
  listeners: SubscriptionListeners,
): Promise<WebSocketSubscription> {
  const subscription = new Subscriptions({ sdk }).createSubscription();
  subscription.on(subscription.events.notification, (envelope: unknown) => listeners.notification(envelope));
  const registered = await subscription.setEventFilters(eventFilters).register();
  const extension = registered.wse as unknown as WebSocketExtensionInternals;
  // Defect: @ringcentral/subscriptions does not re-emit the WebSocket extension's recovery events,
  // so they are read from the extension's own (undocumented) emitter.
  extension.eventEmitter.on("autoRecoverSuccess", () => listeners.recovered());
  extension.eventEmitter.on("autoRecoverFailed", () => listeners.recoveryFailed());
  extension.eventEmitter.on("autoRecoverError", (error: unknown) => listeners.recoveryError(error));
  // Defect: nothing tells when the socket closes (the library notices at its next check, seconds
  // later, and says so only once it recovered), and its sockets have no 'error' listener, so a
  // refused reconnection (the gateway answering the upgrade with an HTTP error) throws from ws's
  // EventEmitter and stops the process. Each socket it opens gets both listeners here; a socket
  // already replaced by a newer one closing late says nothing.
  const watch = (socket: LibrarySocket | undefined) => {
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
