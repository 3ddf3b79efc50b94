// The bare graphql-ws server (bench/bare-graphql-ws.ts) in a process of its own, so its memory can
// be measured apart (bench/memory.ts).
import { redisUrl, serveLoad, settledMemory } from "./harness.ts";
import { startBareGraphqlWs } from "./bare-graphql-ws.ts";

let server: Awaited<ReturnType<typeof startBareGraphqlWs>> | null = null;
serveLoad({
  async start() {
    server = await startBareGraphqlWs(redisUrl);
    return { url: server.url, wsUrl: server.wsUrl };
  },
  memory: () => settledMemory(),
  async exit() {
    await server?.close();
  },
});
