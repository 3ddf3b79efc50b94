import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { accessToken, api, control, isApiErrorBody, loggedInSdk, startTestSimulator } from "./platform-harness.ts";

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator({ rateLimits: { Heavy: { limit: 2, windowSeconds: 60, penaltySeconds: 45 } } });
});
afterAll(async () => {
  await sim.close();
});

describe("rate limits", () => {
  it("sends X-Rate-Limit-* headers and answers 429 + Retry-After + CMN-301 past the group's limit, per user", async () => {
    const token = await accessToken(sim);
    const first = await api(sim, token, "GET", "/restapi/v1.0/account/~/phone-number");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-rate-limit-group")).toBe("heavy");
    expect(first.headers.get("x-rate-limit-limit")).toBe("2");
    expect(first.headers.get("x-rate-limit-remaining")).toBe("1");
    expect(first.headers.get("x-rate-limit-window")).toBe("60");
    expect(
      (await api(sim, token, "GET", "/restapi/v1.0/account/~/phone-number")).headers.get("x-rate-limit-remaining"),
    ).toBe("0");

    const limited = await api(sim, token, "GET", "/restapi/v1.0/account/~/phone-number");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("45");
    expect(limited.json.errorCode).toBe("CMN-301");
    expect(isApiErrorBody(limited.json)).toBe(true);

    // Other groups are counted separately; so are other users.
    expect((await api(sim, token, "GET", "/restapi/v1.0/account/~/extension/~")).status).toBe(200);
    const agentJwt = sim.account().extensions.find((e) => e.name === "Alice Agent")!;
    const agentToken = await accessToken(
      sim,
      (await control(sim, "GET", "/__sim/account")).json.extensions.find((e: any) => e.id === agentJwt.id).jwt,
    );
    expect((await api(sim, agentToken, "GET", "/restapi/v1.0/account/~/phone-number")).status).toBe(200);
  });

  it("the SDK reports a forced 429 with the server's Retry-After", async () => {
    const sdk = await loggedInSdk(sim);
    const rateLimitError = new Promise<{ retryAfter?: number }>((resolve) =>
      sdk
        .platform()
        .on(sdk.platform().events.rateLimitError, (error) => resolve(error as Error & { retryAfter?: number })),
    );
    await control(sim, "POST", "/__sim/faults/rate-limit", { group: "Light", count: 1, retryAfterSeconds: 7 });
    const failure = await sdk
      .platform()
      .get("/restapi/v1.0/account/~")
      .then(
        () => undefined,
        (e: { response: Response }) => e,
      );
    expect(failure?.response.status).toBe(429);
    expect((await rateLimitError).retryAfter).toBe(7000);
  });

  it("the SDK with handleRateLimit waits Retry-After and retries once", async () => {
    const sdk = await loggedInSdk(sim, sim.credentials().jwt, { handleRateLimit: true });
    await control(sim, "POST", "/__sim/faults/rate-limit", { group: "Light", count: 1, retryAfterSeconds: 1 });
    const response = await sdk.platform().get("/restapi/v1.0/account/~");
    expect(response.status).toBe(200);
    const lastTwo = (await control(sim, "GET", "/__sim/requests?path=/restapi/v1.0/account/~")).json.records.slice(-2);
    expect(lastTwo.map((r: any) => r.status)).toEqual([429, 200]);
  });

  it("limits the token endpoint in the Auth group", async () => {
    const strict = await startTestSimulator({
      rateLimits: { Auth: { limit: 1, windowSeconds: 60, penaltySeconds: 30 } },
    });
    try {
      await accessToken(strict);
      await expect(loggedInSdk(strict)).rejects.toMatchObject({ response: { status: 429 } });
    } finally {
      await strict.close();
    }
  });
});
