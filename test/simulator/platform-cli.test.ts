import { describe, expect, it } from "vitest";
import { runSimulatorCli } from "../../src/integrations/ringcentral/simulator/index.ts";
import { request } from "./platform-harness.ts";

describe("runSimulatorCli", () => {
  it("starts the seeded simulator and prints the server URL and the fake credentials", async () => {
    const printed: string[] = [];
    const originalLog = console.log;
    console.log = (...args: unknown[]) => void printed.push(args.join(" "));
    let simulator: Awaited<ReturnType<typeof runSimulatorCli>>;
    try {
      simulator = await runSimulatorCli({ port: 0 });
    } finally {
      console.log = originalLog;
    }
    try {
      const output = printed.join("\n");
      const { clientId, clientSecret, jwt } = simulator.credentials();
      expect(output).toContain(`listening on ${simulator.url}`);
      for (const value of [clientId, clientSecret, jwt, "809646016", "admin@switchboard.test"])
        expect(output).toContain(value);
      const account = await request(`${simulator.url}/__sim/account`);
      expect(account.json.clientId).toBe(clientId);
    } finally {
      await simulator.close();
    }
  });
});
