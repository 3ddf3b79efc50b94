// The WebSocket gateway as @rc-ex/ws 1.3.17 expects it ([REFERENCE] §2.1; node_modules/@rc-ex/ws):
// `/ws?access_token=<wstoken>[&wsc=<token>]`, a `ConnectionDetails` frame first, `ClientRequest`
// frames routed like REST calls, `Heartbeat` echoes, `ServerNotification` frames with an
// increasing `wsc.sequence`, and session recovery: a reconnect with `wsc` within the recovery
// timeout gets `recoveryState: "Successful"` and the buffered notifications it missed (the last
// `recoveryBufferSize`, oldest dropped first), in order and once.
//
// The wsc token names the WS session and the last sequence the client saw, so the server knows
// exactly which buffered notifications to replay.

import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import type { SimResponse } from "./core.ts";
import type { Caller, TokenStore } from "./auth.ts";
import type {
  NotificationEnvelope,
  SimSubscription,
  SubscriptionStore,
  SubscriptionTransport,
} from "./subscriptions.ts";

export interface WebSocketOptions {
  /** Seconds a dropped session stays recoverable (RingCentral: 180). May be fractional in tests. */
  recoveryTimeoutSeconds: number;
  /** Notifications kept per session for replay (RingCentral: 100). */
  recoveryBufferSize: number;
  /** Interval of RFC 6455 pings; a socket that misses a pong by the next ping is closed (0 = off). */
  pingIntervalMs: number;
  /**
   * Pause between a recovery's ConnectionDetails and the replay. @rc-ex/ws attaches its
   * notification listener only after it has processed ConnectionDetails (an await later); frames
   * arriving in the same TCP read would be emitted before that and lost.
   */
  replayDelayMs: number;
}

export const DEFAULT_WEBSOCKET_OPTIONS: WebSocketOptions = {
  recoveryTimeoutSeconds: 180,
  recoveryBufferSize: 100,
  pingIntervalMs: 30_000,
  replayDelayMs: 50,
};

/** A REST call arriving as a `ClientRequest` frame. */
export interface WsClientRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: unknown;
}

export type WsDispatch = (request: WsClientRequest, caller: Caller, wsSessionId: string) => Promise<SimResponse>;

interface BufferedFrame {
  sequence: number;
  frame: string;
}

interface WsSession {
  id: string;
  caller: Caller;
  socket: WebSocket | undefined;
  sequence: number;
  buffer: BufferedFrame[];
  /** When the session lost its socket (or stalled); recovery must come within the timeout. */
  detachedAt: number | undefined;
  stalled: boolean;
  ended: boolean;
}

export interface WsSessionSummary {
  id: string;
  extensionId: string;
  connected: boolean;
  stalled: boolean;
  sequence: number;
  buffered: number;
  subscriptionId: string | undefined;
}

type Frame = [Record<string, unknown>, unknown?];

function wscToken(session: WsSession, sequence: number): string {
  return Buffer.from(`${session.id}:${sequence}`).toString("base64url");
}

function parseWscToken(token: string): { sessionId: string; sequence: number } | undefined {
  const decoded = Buffer.from(token, "base64url").toString("utf8");
  const match = /^([0-9a-f-]{36}):(\d+)$/.exec(decoded);
  return match ? { sessionId: match[1]!, sequence: Number(match[2]) } : undefined;
}

function send(socket: WebSocket | undefined, frame: Frame | string): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
}

function errorFrame(status: number, errorCode: string, message: string, messageId: string = randomUUID()): Frame {
  return [
    { type: "Error", messageId, status, headers: { RCRequestId: randomUUID() } },
    { errorCode, message },
  ];
}

export class WebSocketGateway implements SubscriptionTransport {
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, WsSession>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pingTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** A gateway outage (a fault): new connections are answered 503 until it ends; counts them. */
  private outage: { refused: number } | null = null;

  constructor(
    private readonly tokens: TokenStore,
    private readonly store: SubscriptionStore,
    private readonly dispatch: WsDispatch,
    readonly options: WebSocketOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes over `upgrade` requests for `/ws` on the HTTP server. */
  attach(httpServer: Server): void {
    httpServer.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname !== "/ws") {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
        return;
      }
      if (this.outage) {
        this.outage.refused++;
        socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      this.server.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, url));
    });
    if (this.options.pingIntervalMs > 0) this.startPinging();
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    this.sweepTimer.unref();
  }

  // ---- connection set-up and recovery

  private onConnection(socket: WebSocket, url: URL): void {
    socket.on("error", () => socket.terminate());
    const caller = this.tokens.authenticateWs(url.searchParams.get("access_token"));
    if (!caller) {
      send(socket, errorFrame(401, "WSG-401", "Invalid or expired WebSocket access token"));
      socket.close(4401, "unauthorized");
      return;
    }
    const wsc = url.searchParams.get("wsc");
    if (wsc === null) {
      this.startSession(socket, caller, undefined);
      return;
    }
    const parsed = parseWscToken(wsc);
    const previous = parsed && this.sessions.get(parsed.sessionId);
    if (!parsed || !previous) {
      send(socket, errorFrame(400, "WSG-400", "Malformed WebSocket session context token"));
      socket.close(4400, "bad wsc");
      return;
    }
    const failure = this.recoveryFailure(previous, caller);
    if (failure) {
      this.endSession(previous);
      this.startSession(socket, caller, failure);
      return;
    }
    this.resumeSession(previous, socket, parsed.sequence);
  }

  /** Why a session cannot be recovered, as RingCentral's recoveryErrorCode. */
  private recoveryFailure(session: WsSession, caller: Caller): string | undefined {
    if (session.ended) return "WSG-1002";
    if (session.caller.sessionId !== caller.sessionId) return "WSG-1003";
    if (!this.subscriptionOf(session)) return "WSG-1005";
    if (this.pastRecoveryWindow(session)) return "WSG-1002";
    return undefined;
  }

  private connectionDetails(
    session: WsSession,
    sequence: number,
    recovery?: { state: "Successful" | "Failed"; errorCode?: string },
  ): Frame {
    const body: Record<string, unknown> = {
      creationTime: new Date(this.now()).toISOString(),
      maxConnectionsPerSession: 50,
      recoveryBufferSize: this.options.recoveryBufferSize,
      recoveryTimeout: this.options.recoveryTimeoutSeconds,
      idleTimeout: 1800,
      absoluteTimeout: 86400,
      maxActiveRequests: 10,
    };
    if (recovery) {
      body.recoveryState = recovery.state;
      if (recovery.errorCode) body.recoveryErrorCode = recovery.errorCode;
    }
    const messageId = randomUUID();
    return [
      {
        type: "ConnectionDetails",
        messageId,
        status: 200,
        wsc: { token: wscToken(session, sequence), sequence },
        headers: { RCRequestId: messageId },
      },
      body,
    ];
  }

  private startSession(socket: WebSocket, caller: Caller, recoveryErrorCode: string | undefined): void {
    const session: WsSession = {
      id: randomUUID(),
      caller,
      socket,
      sequence: 1,
      buffer: [],
      detachedAt: undefined,
      stalled: false,
      ended: false,
    };
    this.sessions.set(session.id, session);
    this.listen(session, socket);
    send(
      socket,
      this.connectionDetails(
        session,
        session.sequence,
        recoveryErrorCode ? { state: "Failed", errorCode: recoveryErrorCode } : undefined,
      ),
    );
  }

  private resumeSession(session: WsSession, socket: WebSocket, lastSeen: number): void {
    const old = session.socket;
    session.socket = socket;
    session.detachedAt = undefined;
    session.stalled = false;
    if (old && old !== socket) old.terminate();
    this.listen(session, socket);
    send(socket, this.connectionDetails(session, lastSeen, { state: "Successful" }));
    const missed = session.buffer.filter((b) => b.sequence > lastSeen);
    this.later(this.options.replayDelayMs, () => {
      for (const buffered of missed) if (session.socket === socket) send(socket, buffered.frame);
    });
  }

  private listen(session: WsSession, socket: WebSocket): void {
    (socket as WebSocket & { isAlive?: boolean }).isAlive = true;
    socket.on("pong", () => {
      (socket as WebSocket & { isAlive?: boolean }).isAlive = true;
    });
    socket.on("message", (data: RawData) => {
      if (session.socket !== socket || session.stalled) return;
      void this.onFrame(session, socket, data.toString());
    });
    socket.on("close", () => {
      if (session.socket === socket) {
        session.socket = undefined;
        session.detachedAt ??= this.now();
      }
    });
  }

  // ---- frames from the client

  private async onFrame(session: WsSession, socket: WebSocket, text: string): Promise<void> {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      send(socket, errorFrame(400, "WSG-400", "Malformed message: not JSON"));
      return;
    }
    if (!Array.isArray(frame) || !frame[0] || typeof frame[0] !== "object") {
      send(socket, errorFrame(400, "WSG-400", "Malformed message: expected [meta, body?]"));
      return;
    }
    const meta = frame[0] as Record<string, unknown>;
    const messageId = typeof meta.messageId === "string" ? meta.messageId : randomUUID();
    if (meta.type === "Heartbeat") {
      send(socket, [{ type: "Heartbeat", messageId }]);
      return;
    }
    if (meta.type !== "ClientRequest" || typeof meta.method !== "string" || typeof meta.path !== "string") {
      send(socket, errorFrame(400, "WSG-400", `Unsupported message type [${String(meta.type)}]`, messageId));
      return;
    }
    const request: WsClientRequest = {
      method: meta.method.toUpperCase(),
      path: meta.path,
      query: meta.query && typeof meta.query === "object" ? (meta.query as Record<string, unknown>) : {},
      headers: meta.headers && typeof meta.headers === "object" ? (meta.headers as Record<string, string>) : {},
      body: frame[1],
    };
    const response = await this.dispatch(request, session.caller, session.id);
    if (session.socket !== socket || session.stalled) return;
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      RCRequestId: randomUUID(),
      ...(response.headers ?? {}),
    };
    const replyMeta = {
      type: "ClientRequest",
      messageId,
      status: response.status,
      headers,
      wsc: { token: wscToken(session, session.sequence), sequence: session.sequence },
    };
    send(socket, response.json === undefined ? [replyMeta] : [replyMeta, response.json]);
  }

  // ---- notifications to the client

  private subscriptionOf(session: WsSession): SimSubscription | undefined {
    return this.store.all().find((s) => s.wsSessionId === session.id);
  }

  private pastRecoveryWindow(session: WsSession): boolean {
    return (
      session.detachedAt !== undefined && this.now() - session.detachedAt > this.options.recoveryTimeoutSeconds * 1000
    );
  }

  /**
   * Ends sessions whose socket has been gone longer than the recovery window (and drops their
   * subscriptions). Ended sessions stay as small tombstones so a late `wsc` gets
   * `recoveryState: "Failed"` rather than a malformed-token error.
   */
  sweep(): void {
    for (const session of this.sessions.values()) {
      if (!session.ended && !session.socket && this.pastRecoveryWindow(session)) this.endSession(session);
    }
  }

  /** SubscriptionTransport: number the notification, buffer it, send it if the socket is live. */
  deliver(subscription: SimSubscription, envelope: NotificationEnvelope): void {
    const session = subscription.wsSessionId ? this.sessions.get(subscription.wsSessionId) : undefined;
    if (!session || session.ended) return;
    if (this.pastRecoveryWindow(session)) {
      this.endSession(session);
      return;
    }
    session.sequence++;
    const meta = {
      type: "ServerNotification",
      messageId: envelope.uuid,
      status: 200,
      headers: { RCRequestId: randomUUID() },
      wsc: { token: wscToken(session, session.sequence), sequence: session.sequence },
    };
    const frame = JSON.stringify([meta, envelope]);
    session.buffer.push({ sequence: session.sequence, frame });
    if (session.buffer.length > this.options.recoveryBufferSize) session.buffer.shift();
    if (!session.stalled) send(session.socket, frame);
  }

  /** A session that can no longer be recovered loses its subscription, as on RingCentral. */
  private endSession(session: WsSession): void {
    session.ended = true;
    session.buffer = [];
    this.store.deleteForWsSession(session.id);
    session.socket?.terminate();
    session.socket = undefined;
  }

  // ---- faults

  private targets(filter: { extensionId?: string | undefined }): WsSession[] {
    return [...this.sessions.values()].filter(
      (s) => !s.ended && s.socket && (!filter.extensionId || s.caller.extensionId === filter.extensionId),
    );
  }

  /** Closes sockets abruptly (no close frame): the client sees a dead connection and recovers. */
  dropSockets(filter: { extensionId?: string | undefined } = {}): number {
    const sessions = this.targets(filter);
    for (const session of sessions) {
      session.detachedAt = this.now();
      session.socket?.terminate();
    }
    return sessions.length;
  }

  /**
   * Stops answering and delivering on the sockets; notifications pile up in the recovery buffer.
   * The recovery window starts now. After `closeAfterMs` the server gives up on the socket and
   * closes it (as RingCentral does for a dead peer), which sends the client into recovery.
   */
  stallSockets(filter: { extensionId?: string | undefined; closeAfterMs?: number | undefined } = {}): number {
    const sessions = this.targets(filter);
    for (const session of sessions) {
      session.stalled = true;
      session.detachedAt = this.now();
      if (filter.closeAfterMs !== undefined) {
        const socket = session.socket;
        this.later(filter.closeAfterMs, () => socket?.terminate());
      }
    }
    return sessions.length;
  }

  /**
   * Starts or ends a gateway outage: while it lasts, every new WebSocket (a first connection or a
   * recovery) is refused with HTTP 503. Sockets already open stay open (drop them to start the
   * outage for a client); sessions stay recoverable within their window.
   */
  refuseConnections(refusing: boolean): void {
    if (!refusing) this.outage = null;
    else this.outage ??= { refused: 0 };
  }

  /** The outage under way, with the connections refused so far; null when there is none. */
  currentOutage(): { refused: number } | null {
    return this.outage ? { ...this.outage } : null;
  }

  summaries(): WsSessionSummary[] {
    this.sweep();
    return [...this.sessions.values()]
      .filter((s) => !s.ended)
      .map((s) => ({
        id: s.id,
        extensionId: s.caller.extensionId,
        connected: s.socket?.readyState === WebSocket.OPEN,
        stalled: s.stalled,
        sequence: s.sequence,
        buffered: s.buffer.length,
        subscriptionId: this.subscriptionOf(s)?.id,
      }));
  }

  /** Control API reset: close every socket and forget every session. */
  reset(): void {
    this.outage = null;
    for (const session of this.sessions.values()) session.socket?.terminate();
    this.sessions.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  close(): void {
    this.reset();
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }

  private startPinging(): void {
    this.pingTimer = setInterval(() => {
      for (const client of this.server.clients as Set<WebSocket & { isAlive?: boolean }>) {
        if (client.isAlive === false) {
          client.terminate();
          continue;
        }
        client.isAlive = false;
        client.ping();
      }
    }, this.options.pingIntervalMs);
    this.pingTimer.unref();
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }
}
