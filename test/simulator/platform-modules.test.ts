// How feature modules plug in: their routes get bearer auth, `~` resolution, the account check
// and rate limits; `/__sim/` routes are control routes; publish() reaches subscribers; reset()
// runs on POST /__sim/reset; a throwing handler gives a 500 in RingCentral's shape.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteModule, Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { notFound, SimHttpError } from "../../src/integrations/ringcentral/simulator/index.ts";
import { accessToken, api, control, isApiErrorBody, startTestSimulator } from "./platform-harness.ts";
import { seeded, startScenario } from "./feature-support.ts";

let resets = 0;
const echoModule: RouteModule = {
  name: "echo",
  reset: () => {
    resets++;
  },
  routes: [
    {
      method: "GET",
      path: "/restapi/v1.0/account/:accountId/extension/:extensionId/echo/:thing",
      throttlingGroup: "Heavy",
      handler: (req, ctx) => ({
        status: 200,
        json: { params: req.params, auth: req.auth, query: req.query.get("q"), base: ctx.baseUrl() },
      }),
    },
    {
      method: "POST",
      path: "/restapi/v1.0/account/:accountId/echo-publish",
      throttlingGroup: "Light",
      handler: (req, ctx) => {
        ctx.publish(`/restapi/v1.0/account/${req.params.accountId}/telephony/sessions`, { from: "module" });
        return { status: 200, json: { id: ctx.newId(), sessionId: ctx.newId("s-") } };
      },
    },
    {
      method: "GET",
      path: "/restapi/v1.0/account/:accountId/echo-missing",
      handler: () => {
        throw new SimHttpError(notFound("thing"));
      },
    },
    {
      method: "GET",
      path: "/restapi/v1.0/account/:accountId/echo-crash",
      handler: () => {
        throw new Error("boom");
      },
    },
    {
      method: "POST",
      path: "/__sim/echo",
      handler: (req) => ({ status: 200, json: { auth: req.auth, body: req.body } }),
    },
  ],
};

let sim: Simulator;
let token: string;
beforeAll(async () => {
  sim = await startTestSimulator({ modules: [echoModule], rateLimits: { Heavy: { limit: 1 } } });
  token = await accessToken(sim);
});
afterAll(async () => {
  await sim.close();
});

describe("feature modules", () => {
  it("get auth, ~ resolution and rate limits on /restapi routes", async () => {
    const response = await api(sim, token, "GET", "/restapi/v1.0/account/~/extension/~/echo/abc?q=1");
    expect(response.json).toEqual({
      params: { accountId: "809646016", extensionId: "809646016", thing: "abc" },
      auth: { accountId: "809646016", extensionId: "809646016" },
      query: "1",
      base: sim.url,
    });
    expect(response.headers.get("x-rate-limit-group")).toBe("heavy");
    expect((await api(sim, token, "GET", "/restapi/v1.0/account/~/extension/~/echo/abc")).status).toBe(429);
    expect((await api(sim, "nope", "GET", "/restapi/v1.0/account/~/extension/~/echo/abc")).status).toBe(401);
    expect((await api(sim, token, "GET", "/restapi/v1.0/account/42/echo-missing")).json.errorCode).toBe("CMN-102");
  });

  it("turn SimHttpError and crashes into RingCentral error responses", async () => {
    const missing = await api(sim, token, "GET", "/restapi/v1.0/account/~/echo-missing");
    expect(missing.status).toBe(404);
    expect(missing.json.errors[0].parameterName).toBe("thing");
    const originalError = console.error;
    console.error = () => {};
    try {
      const crash = await api(sim, token, "GET", "/restapi/v1.0/account/~/echo-crash");
      expect(crash.status).toBe(500);
      expect(isApiErrorBody(crash.json)).toBe(true);
    } finally {
      console.error = originalError;
    }
  });

  it("publish through the platform and get ids in RingCentral's styles", async () => {
    const response = await api(sim, token, "POST", "/restapi/v1.0/account/~/echo-publish");
    expect(response.json.id).toMatch(/^\d+$/);
    expect(response.json.sessionId).toMatch(/^s-[0-9a-f]{32}$/);
    const history = (await control(sim, "GET", "/__sim/notifications")).json.records;
    expect(history.at(-1)).toMatchObject({
      event: "/restapi/v1.0/account/809646016/telephony/sessions",
      body: { from: "module" },
    });
    expect(history.at(-1).uuid).toMatch(/^\d+$/);
  });

  it("mount /__sim/ routes as control routes and reset on POST /__sim/reset", async () => {
    const echoed = await control(sim, "POST", "/__sim/echo", { a: 1 });
    expect(echoed.json).toEqual({ auth: null, body: { a: 1 } });
    const before = resets;
    await control(sim, "POST", "/__sim/extensions", { name: "Temp" });
    expect((await control(sim, "POST", "/__sim/reset", {})).status).toBe(200);
    expect(resets).toBe(before + 1);
    expect((await control(sim, "GET", "/__sim/account")).json.extensions.some((e: any) => e.name === "Temp")).toBe(
      false,
    );
    // Tokens survive a reset unless asked otherwise.
    expect((await api(sim, token, "GET", "/restapi/v1.0/account/~")).status).toBe(200);
    await control(sim, "POST", "/__sim/reset", { tokens: true });
    expect((await api(sim, token, "GET", "/restapi/v1.0/account/~")).status).toBe(401);
  });

  it("answer unknown control routes and bad control input in RingCentral's shape", async () => {
    const unknown = await control(sim, "GET", "/__sim/nothing");
    expect(unknown.status).toBe(404);
    expect(isApiErrorBody(unknown.json)).toBe(true);
    for (const [path, body] of [
      ["/__sim/notifications", { body: {} }],
      ["/__sim/notifications", { event: "/restapi/v1.0/x" }],
      ["/__sim/notifications", [{ event: 1, body: {} }]],
      ["/__sim/faults/socket", { action: "explode" }],
      ["/__sim/faults/notifications", { type: "scramble" }],
      ["/__sim/faults/notifications", { type: "delay", count: 1 }],
      ["/__sim/faults/tokens", { action: "expire", kind: "id" }],
      ["/__sim/faults/rate-limit", { group: "Huge" }],
      ["/__sim/faults/webhooks", { failNext: 0 }],
    ] as const) {
      const response = await control(sim, "POST", path, body);
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(isApiErrorBody(response.json)).toBe(true);
    }
  });

  it("accept a batch of notifications and keep their order", async () => {
    const response = await control(sim, "POST", "/__sim/notifications", [
      { event: "/restapi/v1.0/account/~/telephony/sessions", body: { n: 1 } },
      {
        event: "/restapi/v1.0/account/~/telephony/sessions",
        body: { n: 2 },
        uuid: "42",
        timestamp: "2020-01-01T00:00:00.000Z",
      },
    ]);
    expect(response.status).toBe(202);
    expect(response.json.notifications.map((n: any) => n.body.n)).toEqual([1, 2]);
    expect(response.json.notifications[1]).toMatchObject({ uuid: "42", timestamp: "2020-01-01T00:00:00.000Z" });
  });

  it("list pending faults of every kind and clear them all", async () => {
    await control(sim, "POST", "/__sim/faults/notifications", { type: "reorder", count: 2 });
    await control(sim, "POST", "/__sim/faults/rate-limit", { group: "Heavy", count: 2, retryAfterSeconds: 30 });
    await control(sim, "POST", "/__sim/faults/webhooks", { failNext: 3 });
    await control(sim, "POST", "/__sim/faults/socket", { action: "refuse" });
    await control(sim, "POST", "/__sim/faults/hold", { path: "/restapi/v1.0/account/~/extension", count: 2 });
    // One request to the path waits for a second one (that never comes) until the faults are cleared.
    const waiting = fetch(`${sim.url}/restapi/v1.0/account/~/extension`);
    for (;;) {
      const faults = (await control(sim, "GET", "/__sim/faults")).json;
      if (faults.heldRequests[0].waiting === 1) break;
    }
    const pending = (await control(sim, "GET", "/__sim/faults")).json;
    expect(pending).toEqual({
      notifications: [{ type: "reorder", count: 2, remaining: 2 }],
      rateLimits: [{ group: "Heavy", remaining: 2, retryAfterSeconds: 30 }],
      webhookFailures: [{ subscriptionId: null, remaining: 3 }],
      webSocketOutage: { refused: 0 },
      heldRequests: [{ path: "/restapi/v1.0/account/~/extension", count: 2, waiting: 1 }],
    });
    const held = await control(sim, "POST", "/__sim/notifications", {
      event: "/restapi/v1.0/account/~/telephony/sessions",
      body: { held: true },
    });
    expect(held.status).toBe(202);
    const cleared = (await control(sim, "DELETE", "/__sim/faults")).json;
    expect(cleared).toEqual({
      notifications: [],
      rateLimits: [],
      webhookFailures: [],
      webSocketOutage: null,
      heldRequests: [],
    });
    // Released: answered (without a token, RingCentral's 401).
    expect((await waiting).status).toBe(401);
  });
});

describe("POST /__sim/reset with two simulators in one process", () => {
  // Feature modules are shared by every simulator in the process; their state is per simulator.
  let resetting: Simulator;
  let bystander: Simulator;
  beforeAll(async () => {
    [resetting, bystander] = await Promise.all([startTestSimulator(), startTestSimulator()]);
  });
  afterAll(async () => {
    await Promise.all([resetting.close(), bystander.close()]);
  });

  interface GivenState {
    token: string;
    telephonySessionId: string;
    recordingId: string;
  }

  /** A call scenario (telephony, a recording), a sent SMS and changed SMS and call settings. */
  async function giveState(sim: Simulator): Promise<GivenState> {
    const token = await accessToken(sim);
    const scenario = await startScenario(sim, {
      type: "inbound",
      extensionId: seeded.alice,
      record: true,
      hangup: false,
    });
    const session = await api(
      sim,
      token,
      "GET",
      `/restapi/v1.0/account/~/telephony/sessions/${scenario.telephonySessionId}`,
    );
    const recordingId = session.json.parties.find((p: any) => p.recordings)?.recordings[0].id;
    // Manual progression keeps the SMS Queued, so the state compared below does not move on its own.
    await control(sim, "PUT", "/__sim/sms/settings", { progression: "manual" });
    await control(sim, "PUT", "/__sim/calls/settings", { progression: "manual", stepDelayMs: 5 });
    const sms = await api(sim, token, "POST", "/restapi/v1.0/account/~/extension/~/sms", {
      from: { phoneNumber: seeded.adminNumber },
      to: [{ phoneNumber: "+14155550100" }],
      text: "kept",
    });
    expect(sms.status).toBe(200);
    return { token, telephonySessionId: scenario.telephonySessionId, recordingId };
  }

  async function moduleStateOf(sim: Simulator, given: GivenState) {
    const sessionPath = `/restapi/v1.0/account/~/telephony/sessions/${given.telephonySessionId}`;
    return {
      scenarios: (await control(sim, "GET", "/__sim/scenarios")).json.records.map((s: any) => s.id),
      session: (await api(sim, given.token, "GET", sessionPath)).status,
      recording: (await api(sim, given.token, "GET", `/restapi/v1.0/account/~/recording/${given.recordingId}`)).status,
      sentMessages: (await control(sim, "GET", "/__sim/sent-messages")).json.records.map((m: any) => m.text),
      smsProgression: (await control(sim, "GET", "/__sim/sms/settings")).json.progression,
      callSettings: (await control(sim, "GET", "/__sim/calls/settings")).json,
    };
  }

  it("clears the resetting simulator's module state and leaves the other simulator's alone", async () => {
    const resettingState = await giveState(resetting);
    const bystanderState = await giveState(bystander);
    const bystanderBefore = await moduleStateOf(bystander, bystanderState);
    expect(bystanderBefore).toEqual({
      scenarios: ["scn-1"],
      session: 200,
      recording: 200,
      sentMessages: ["kept"],
      smsProgression: "manual",
      callSettings: { progression: "manual", stepDelayMs: 5 },
    });

    expect((await control(resetting, "POST", "/__sim/reset", {})).status).toBe(200);

    expect(await moduleStateOf(bystander, bystanderState)).toEqual(bystanderBefore);
    expect(await moduleStateOf(resetting, resettingState)).toEqual({
      scenarios: [],
      session: 404,
      recording: 404,
      sentMessages: [],
      smsProgression: "auto",
      callSettings: { progression: "auto", stepDelayMs: 0 },
    });
  });
});
