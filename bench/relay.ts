// The ring-latency baseline: a bare `ws` + ioredis relay. An emitter socket sends
// `{agent, notifications}`; the relay PUBLISHes it to the agent's Redis channel; the relay's
// subscriber connection receives it and writes it to that agent's socket. No database, no GraphQL,
// no auth: the transport floor under Switchboard's ring path (WebSocket in, Redis, WebSocket out).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { Redis } from "ioredis";

export async function startRelay(redisUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const publisher = new Redis(redisUrl);
  const subscriber = new Redis(redisUrl);
  const prefix = `bench:relay:${process.pid}:${Date.now()}:`;
  const agents = new Map<string, WebSocket>();
  subscriber.on("message", (channel: string, message: string) =>
    agents.get(channel.slice(prefix.length))?.send(message),
  );
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on("connection", (socket, req) => {
    const params = new URL(req.url ?? "/", "http://localhost").searchParams;
    const agent = params.get("agent");
    if (agent !== null) {
      agents.set(agent, socket);
      void subscriber.subscribe(prefix + agent);
      socket.on("close", () => {
        agents.delete(agent);
        void subscriber.unsubscribe(prefix + agent);
      });
      return;
    }
    socket.on("message", (data) => {
      const text = String(data);
      const { agent: target } = JSON.parse(text) as { agent: number };
      void publisher.publish(prefix + target, text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
