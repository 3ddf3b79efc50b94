// The fan-out baseline: bare graphql-ws (graphql-js, no yoga, no plugins) over the same pub/sub as
// Switchboard (src/pubsub.ts on Redis), no database, no auth. Its conversationEvents has the
// selection Switchboard's has; the conversation travels in the event instead of being loaded.
// POST /publish {inboxId} publishes one event.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import { buildSchema } from "graphql";
import type { EventRecord } from "../src/domain/events.ts";
import { createPubSub } from "../src/pubsub.ts";

const schema = buildSchema(`
  type User { name: String! }
  type Conversation { id: ID! status: String! assignee: User }
  type ConversationEvent { cursor: String! type: String! createdAt: String! conversation: Conversation payload: String }
  type Query { hello: String }
  type Subscription { conversationEvents(inboxId: ID!, after: String): ConversationEvent! }
`);

export async function startBareGraphqlWs(
  redisUrl: string,
): Promise<{ url: string; wsUrl: string; close(): Promise<void> }> {
  const pubsub = createPubSub(redisUrl);
  let sequence = 0;
  const roots = {
    conversationEvents: async function* ({ inboxId }: { inboxId: string }) {
      // One channel per inbox, as a bare server would have it.
      const live = await pubsub.subscribe("all", inboxId);
      try {
        for await (const event of live) {
          yield {
            conversationEvents: {
              cursor: event.sequence,
              type: event.type,
              createdAt: event.createdAt,
              conversation: (event.payload as unknown as { conversation: unknown }).conversation,
            },
          };
        }
      } finally {
        live.close();
      }
    },
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const { inboxId } = JSON.parse(body || "{}") as { inboxId: string };
      // The baseline carries the conversation in the event itself (no database) over Switchboard's
      // transport, so its record is not one of the catalogue's.
      const event = {
        sequence: String(++sequence),
        type: "COMMENT_ADDED",
        conversationId: "c1",
        inboxIds: [inboxId],
        userIds: [],
        payload: { conversation: { id: "c1", status: "OPEN", assignee: { name: "Agent" } } },
        createdAt: new Date().toISOString(),
      } as unknown as EventRecord;
      pubsub.publish("all", inboxId, event);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { published: true } }));
    });
  });
  const wss = new WebSocketServer({ server, path: "/graphql" });
  const handle = useServer({ schema, roots: { subscription: roots } as never }, wss);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    close: async () => {
      await handle.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pubsub.close();
    },
  };
}
