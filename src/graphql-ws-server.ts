// graphql-ws on a `ws` WebSocketServer: graphql-ws's own `makeServer` behind the same wiring as its
// `graphql-ws/use/ws` adapter, with two differences for what clients get wrong:
// - a message only a server may send (connection_ack, next, error) closes the socket with 4400
//   "Invalid message received", as PROTOCOL.md says of any message the receiver does not expect;
//   graphql-ws threw on them, which use/ws turned into 4500 (internal error) and a stack on stderr;
// - transport errors a client causes (a message over `maxPayload`, an invalid frame: ws closes with
//   1009/1002 itself) and real internal errors go to our log, never to console.error.
import type http from "node:http";
import { CloseCode, handleProtocols, makeServer, MessageType, parseMessage, type ServerOptions } from "graphql-ws";
import type { WebSocket, WebSocketServer } from "ws";
import type { Logger } from "./logger.ts";

export interface WebSocketExtra {
  readonly socket: WebSocket;
  readonly request: http.IncomingMessage;
}

const SENT_ONLY_BY_SERVERS: ReadonlySet<string> = new Set([
  MessageType.ConnectionAck,
  MessageType.Next,
  MessageType.Error,
]);

/** True for a well-formed graphql-ws message of a type only servers send. Malformed messages are
 * left to graphql-ws, which closes with 4400 itself. */
function sentOnlyByServers(data: string): boolean {
  try {
    return SENT_ONLY_BY_SERVERS.has(parseMessage(data).type);
  } catch {
    return false;
  }
}

/** Serves graphql-ws on every connection `wsServer` emits; pings every `keepAliveMs` and drops a
 * socket that does not answer within as long (use/ws's default: 12 s). */
export function serveGraphQLOverWebSocket<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, WebSocketExtra>,
  wsServer: WebSocketServer,
  log: Logger,
  keepAliveMs = 12_000,
): void {
  const server = makeServer(options);
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.on("connection", (socket: WebSocket, request: http.IncomingMessage) => {
    // ws has already closed the socket with the matching code (1009 message too big, 1002…).
    socket.once("error", (error: Error & { code?: string }) =>
      log.debug({ code: error.code, reason: error.message }, "WebSocket closed on a protocol error"),
    );
    let pongWait: NodeJS.Timeout | undefined;
    const pingInterval = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once("pong", () => clearTimeout(pongWait));
      socket.ping();
    }, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on("message", (data) => {
            const text = String(data);
            if (sentOnlyByServers(text)) {
              socket.close(CloseCode.BadRequest, "Invalid message received");
              return;
            }
            handle(text).catch((error: unknown) => {
              log.error({ err: error }, "graphql-ws failed to handle a message");
              socket.close(CloseCode.InternalServerError, "Internal server error");
            });
          }),
      },
      { socket, request },
    );
    socket.once("close", (code: number, reason: Buffer) => {
      clearTimeout(pongWait);
      clearInterval(pingInterval);
      closed(code, String(reason)).catch((error: unknown) =>
        log.error({ err: error }, "graphql-ws failed to close a connection"),
      );
    });
  });
}
