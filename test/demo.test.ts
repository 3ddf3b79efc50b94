// `switchboard demo`, spawned as a user runs it: it prints the GraphiQL address and an agent's token,
// and that agent's subscription sees a call ring within the demo's first round of traffic; SIGTERM
// stops everything, exits 0 and removes the demo's temporary database.
import fs from "node:fs";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { describe, expect, it } from "vitest";
import { spawnSwitchboard } from "./support/switchboard-process.ts";
import { subscribe } from "./support/api.ts";

/** The GraphiQL address, the demo's data directory and Alice's token, from the banner. */
const BANNER = new RegExp(
  String.raw`GraphiQL at (http://\S+)/graphql\n {2}embedded database in (\S+) ` +
    String.raw`[\s\S]*?agent {2}alice@switchboard\.test +(sb_\S+)`,
);

describe("switchboard demo", { timeout: 300_000 }, () => {
  it("rings an agent's subscription with its traffic, and stops cleanly on SIGTERM", async () => {
    const demo = spawnSwitchboard(["demo", "--every", "1"], { HOST: "127.0.0.1", PORT: "0" });
    try {
      const [, url, dataDir, aliceToken] = await demo.waitFor(BANNER);
      expect(fs.existsSync(dataDir!)).toBe(true);
      const client = createClient({
        url: `${url!.replace("http", "ws")}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${aliceToken}` },
        retryAttempts: 0,
      });
      // From the first event: the demo's first call may ring before the subscription is open.
      const rings = subscribe(client, `subscription { incomingCall(after: "0") { callerNumber call { status } } }`);
      const [ring] = await rings.until(1);
      expect(ring!.errors).toBeUndefined();
      expect((ring!.data as any).incomingCall).toMatchObject({ callerNumber: expect.stringMatching(/^\+1\d{10}$/) });
      rings.unsubscribe();
      await client.dispose();
      demo.child.kill("SIGTERM");
      expect(await demo.exited).toEqual({ code: 0, signal: null });
      expect(fs.existsSync(dataDir!)).toBe(false);
      expect(demo.output).not.toContain('"level":50');
    } finally {
      demo.child.kill("SIGTERM");
    }
  });
});
