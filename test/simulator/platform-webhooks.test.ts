// Webhook subscriptions against a real local HTTP receiver.

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { expectMatchesOpenApi } from "./openapi.ts";
import { accessToken, api, control, isApiErrorBody, request, startTestSimulator } from "./platform-harness.ts";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver that echoes the handshake and answers deliveries with `deliveryStatus`. */
class Receiver {
  readonly requests: Received[] = [];
  deliveryStatus = 200;
  echoValidationToken = true;
  private server!: Server;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const token = req.headers["validation-token"];
        const body = Buffer.concat(chunks).toString("utf8");
        if (token && body === "") {
          res.writeHead(
            200,
            this.echoValidationToken ? { "Validation-Token": String(token), "Content-Type": "application/json" } : {},
          );
        } else {
          res.writeHead(this.deliveryStatus);
        }
        res.end();
        this.requests.push({ headers: req.headers, body });
        const met = this.waiters.filter((w) => this.requests.length >= w.count);
        this.waiters = this.waiters.filter((w) => !met.includes(w));
        for (const waiter of met) waiter.resolve();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  until(total: number): Promise<void> {
    if (this.requests.length >= total) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count: total, resolve }));
  }

  deliveries(): Received[] {
    return this.requests.filter((r) => r.body !== "");
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let sim: Simulator;
let token: string;
let receiver: Receiver;

beforeAll(async () => {
  sim = await startTestSimulator({ webhooks: { failuresBeforeBlacklist: 3 }, subscriptions: { maxPerUser: 5 } });
  token = await accessToken(sim);
  receiver = new Receiver();
  await receiver.start();
});
afterAll(async () => {
  await receiver.stop();
  await sim.close();
});

const TELEPHONY = "/restapi/v1.0/account/~/telephony/sessions";

async function createWebhook(extra: Record<string, unknown> = {}) {
  return api(sim, token, "POST", "/restapi/v1.0/subscription", {
    eventFilters: [TELEPHONY],
    deliveryMode: { transportType: "WebHook", address: receiver.url, verificationToken: "secret-verification" },
    expiresIn: 3600,
    ...extra,
  });
}

async function deleteAll() {
  for (const s of (await api(sim, token, "GET", "/restapi/v1.0/subscription")).json.records) {
    await api(sim, token, "DELETE", `/restapi/v1.0/subscription/${s.id}`);
  }
}

describe("webhook subscriptions", () => {
  it("validates the receiver with the Validation-Token handshake, then delivers with the verification token", async () => {
    const before = receiver.requests.length;
    const created = await createWebhook();
    expect(created.status).toBe(200);
    expectMatchesOpenApi("POST", "/restapi/v1.0/subscription", 200, created.json, { noUnknownProperties: true });
    expect(created.json).toMatchObject({
      status: "Active",
      eventFilters: ["/restapi/v1.0/account/809646016/telephony/sessions"],
      expiresIn: 3600,
      deliveryMode: { transportType: "WebHook", address: receiver.url, encryption: false },
    });
    expect(created.json.uri).toBe(`${sim.url}/restapi/v1.0/subscription/${created.json.id}`);
    const handshake = receiver.requests[before]!;
    expect(handshake.headers["validation-token"]).toBeTruthy();
    expect(handshake.body).toBe("");

    await control(sim, "POST", "/__sim/notifications", {
      event: "/restapi/v1.0/account/809646016/extension/809646016/telephony/sessions",
      body: { sequence: 7 },
    });
    await receiver.until(before + 2);
    const delivery = receiver.requests[before + 1]!;
    expect(delivery.headers["verification-token"]).toBe("secret-verification");
    expect(delivery.headers["user-agent"]).toBe("RingCentral-Webhook/8.3");
    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(delivery.body)).toMatchObject({
      event: "/restapi/v1.0/account/809646016/extension/809646016/telephony/sessions",
      subscriptionId: created.json.id,
      ownerId: "809646016",
      body: { sequence: 7 },
    });
    await deleteAll();
  });

  it("lists, gets, updates, renews and deletes, in the published shapes", async () => {
    const { json: created } = await createWebhook();
    const path = `/restapi/v1.0/subscription/${created.id}`;
    const list = await api(sim, token, "GET", "/restapi/v1.0/subscription");
    expectMatchesOpenApi("GET", "/restapi/v1.0/subscription", 200, list.json, { noUnknownProperties: true });
    expect(list.json.records.map((r: any) => r.id)).toContain(created.id);

    const got = await api(sim, token, "GET", path);
    expectMatchesOpenApi("GET", path, 200, got.json, { noUnknownProperties: true });

    const updated = await api(sim, token, "PUT", path, {
      eventFilters: ["/restapi/v1.0/account/~/extension/~/message-store"],
      expiresIn: 7200,
    });
    expectMatchesOpenApi("PUT", path, 200, updated.json, { noUnknownProperties: true });
    expect(updated.json).toMatchObject({
      eventFilters: ["/restapi/v1.0/account/809646016/extension/809646016/message-store"],
      expiresIn: 7200,
    });

    const renewed = await api(sim, token, "POST", `${path}/renew`);
    expectMatchesOpenApi("POST", `${path}/renew`, 200, renewed.json, { noUnknownProperties: true });
    expect(renewed.json.expiresIn).toBe(7200);

    expect((await api(sim, token, "DELETE", path)).status).toBe(204);
    const gone = await api(sim, token, "GET", path);
    expect(gone.status).toBe(404);
    expect(gone.json.errorCode).toBe("SUB-507");
  });

  it("fails creation with SUB-525 when the receiver does not echo the token or is unreachable", async () => {
    receiver.echoValidationToken = false;
    try {
      const rejected = await createWebhook();
      expect(rejected.status).toBe(400);
      expect(rejected.json.errorCode).toBe("SUB-525");
      expect(isApiErrorBody(rejected.json)).toBe(true);
    } finally {
      receiver.echoValidationToken = true;
    }
    const unreachable = await createWebhook({
      deliveryMode: { transportType: "WebHook", address: "http://127.0.0.1:1/hook" },
    });
    expect(unreachable.json.errorCode).toBe("SUB-525");
  });

  it("blacklists after repeated failed deliveries and stops delivering", async () => {
    const { json: created } = await createWebhook();
    receiver.deliveryStatus = 500;
    const before = receiver.requests.length;
    try {
      for (let n = 1; n <= 3; n++)
        await control(sim, "POST", "/__sim/notifications", { event: TELEPHONY, body: { sequence: n } });
      await receiver.until(before + 3);
    } finally {
      receiver.deliveryStatus = 200;
    }
    await sim.platform.webhooks.idle();
    const got = await api(sim, token, "GET", `/restapi/v1.0/subscription/${created.id}`);
    expect(got.json.status).toBe("Blacklisted");
    expect(got.json.blacklistedData.reason).toBeTruthy();
    expectMatchesOpenApi("GET", `/restapi/v1.0/subscription/${created.id}`, 200, got.json, {
      noUnknownProperties: true,
    });
    const after = await control(sim, "POST", "/__sim/notifications", { event: TELEPHONY, body: { sequence: 4 } });
    expect(after.json.matchedSubscriptionIds).not.toContain(created.id);
    const deliveries = (await control(sim, "GET", `/__sim/webhooks/deliveries?subscriptionId=${created.id}`)).json
      .records;
    expect(deliveries.map((d: any) => d.status)).toEqual([500, 500, 500]);
    await deleteAll();
  });

  it("counts deliveries failed by fault injection, and a success resets the count", async () => {
    const { json: created } = await createWebhook();
    await control(sim, "POST", "/__sim/faults/webhooks", { failNext: 2, subscriptionId: created.id });
    const before = receiver.deliveries().length;
    for (let n = 1; n <= 3; n++)
      await control(sim, "POST", "/__sim/notifications", { event: TELEPHONY, body: { sequence: n } });
    await sim.platform.webhooks.idle();
    expect(receiver.deliveries().length).toBe(before + 1);
    expect(JSON.parse(receiver.deliveries().at(-1)!.body).body.sequence).toBe(3);
    const deliveries = (await control(sim, "GET", `/__sim/webhooks/deliveries?subscriptionId=${created.id}`)).json
      .records;
    expect(deliveries.map((d: any) => d.ok)).toEqual([false, false, true]);
    expect((await api(sim, token, "GET", `/restapi/v1.0/subscription/${created.id}`)).json.status).toBe("Active");
    await deleteAll();
  });

  it("forgets expired subscriptions (SUB-507) and stops delivering to them", async () => {
    const { json: created } = await createWebhook();
    await control(sim, "POST", "/__sim/faults/subscriptions", { action: "expire", subscriptionId: created.id });
    const got = await api(sim, token, "GET", `/restapi/v1.0/subscription/${created.id}`);
    expect(got.status).toBe(404);
    expect(got.json.errorCode).toBe("SUB-507");
    expect((await api(sim, token, "POST", `/restapi/v1.0/subscription/${created.id}/renew`)).status).toBe(404);
    const posted = await control(sim, "POST", "/__sim/notifications", { event: TELEPHONY, body: {} });
    expect(posted.json.matchedSubscriptionIds).toEqual([]);
  });

  it("rejects bad subscription requests in RingCentral's error shape", async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ eventFilters: [TELEPHONY] }, 400, "CMN-101"],
      [{ eventFilters: [TELEPHONY], deliveryMode: { transportType: "PubNub" } }, 400, "CMN-101"],
      [{ eventFilters: [TELEPHONY], deliveryMode: { transportType: "WebHook" } }, 400, "CMN-101"],
      [{ eventFilters: [], deliveryMode: { transportType: "WebHook", address: receiver.url } }, 400, "SUB-508"],
      [
        { eventFilters: ["/restapi/v1.0/nonsense"], deliveryMode: { transportType: "WebHook", address: receiver.url } },
        400,
        "SUB-508",
      ],
      [
        {
          eventFilters: ["/restapi/v1.0/account/1234/telephony/sessions"],
          deliveryMode: { transportType: "WebHook", address: receiver.url },
        },
        403,
        "SUB-406",
      ],
      [{ eventFilters: [TELEPHONY], deliveryMode: { transportType: "WebSocket" } }, 400, "SUB-521"],
      [
        {
          eventFilters: [TELEPHONY],
          deliveryMode: { transportType: "WebHook", address: receiver.url },
          expiresIn: "soon",
        },
        400,
        "CMN-101",
      ],
      [[1, 2, 3], 400, "CMN-101"],
    ];
    for (const [body, status, errorCode] of cases) {
      const response = await api(sim, token, "POST", "/restapi/v1.0/subscription", body);
      expect({ body, status: response.status, errorCode: response.json.errorCode }).toEqual({
        body,
        status,
        errorCode,
      });
      expect(isApiErrorBody(response.json)).toBe(true);
    }
    const malformed = await request(`${sim.url}/restapi/v1.0/subscription`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: "{",
    });
    expect(malformed.status).toBe(400);
    expect(isApiErrorBody(malformed.json)).toBe(true);
  });

  it("enforces the per-user subscription limit with SUB-505", async () => {
    for (let i = 0; i < 5; i++) expect((await createWebhook()).status).toBe(200);
    const over = await createWebhook();
    expect(over.status).toBe(403);
    expect(over.json.errorCode).toBe("SUB-505");
    await deleteAll();
  });
});
