// The WebSocket gateway against the real @ringcentral/subscriptions (which runs @rc-ex/ws), and the
// raw protocol frame by frame with the `ws` package.

import { Subscriptions } from "@ringcentral/subscriptions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { accessToken, api, control, loggedInSdk, startTestSimulator } from "./platform-harness.ts";

const TELEPHONY = "/restapi/v1.0/account/809646016/telephony/sessions";

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator({ webSocket: { recoveryTimeoutSeconds: 10 } });
});
afterAll(async () => {
  await sim.close();
});

/** Collects notifications and lets a test await the next `n`. */
class Inbox {
  readonly received: any[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  push(event: any): void {
    this.received.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (this.received.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `total` notifications have arrived in all. */
  until(total: number): Promise<void> {
    if (this.received.length >= total) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count: total, resolve }));
  }
}

async function subscribe(filters: string[], simulator = sim) {
  const sdk = await loggedInSdk(simulator);
  const subscriptions = new Subscriptions({ sdk });
  const subscription = subscriptions.createSubscription();
  const inbox = new Inbox();
  subscription.on(subscription.events.notification, (event: unknown) => inbox.push(event));
  const wsSubscription = await subscription.setEventFilters(filters).register();
  return { sdk, inbox, wsSubscription, wse: (wsSubscription as any).wse };
}

function post(body: unknown, simulator = sim) {
  return control(simulator, "POST", "/__sim/notifications", body);
}

function telephonyEvent(n: number, event = TELEPHONY) {
  return {
    event,
    body: {
      sequence: n,
      telephonySessionId: "s-test",
      parties: [{ id: "p-1", direction: "Inbound", status: { code: "Setup" } }],
    },
  };
}

function once(
  emitter: { once(name: string, listener: (...args: any[]) => void): void },
  name: string,
): Promise<unknown> {
  return new Promise((resolve) => emitter.once(name, resolve));
}

describe("@ringcentral/subscriptions against the simulator", () => {
  it("subscribes over the socket and receives notifications addressed to it", async () => {
    const { inbox, wsSubscription, wse } = await subscribe([
      "/restapi/v1.0/account/~/telephony/sessions",
      "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS",
    ]);
    const info = wsSubscription.subscriptionInfo!;
    expect(info).toMatchObject({ status: "Active", deliveryMode: { transportType: "WebSocket" } });
    expect(info.eventFilters).toEqual([
      TELEPHONY,
      "/restapi/v1.0/account/809646016/extension/809646016/message-store/instant?type=SMS",
    ]);

    const sequences: number[] = [];
    wse.ws.addEventListener("message", (m: { data: string }) => {
      const [meta] = JSON.parse(m.data);
      if (meta.type === "ServerNotification") sequences.push(meta.wsc.sequence);
    });

    const posted = await post({ uuid: "1234567890", ...telephonyEvent(1) });
    expect(posted.status).toBe(202);
    expect(posted.json.matchedSubscriptionIds).toEqual([info.id]);
    await post({
      ...telephonyEvent(2),
      event: "/restapi/v1.0/account/809646016/extension/62242421016/telephony/sessions",
    });
    await post({
      event: "/restapi/v1.0/account/~/extension/809646016/message-store/instant?type=SMS",
      body: { id: "1", type: "SMS" },
    });
    await post({
      event: "/restapi/v1.0/account/~/extension/809646016/message-store/instant?type=Pager",
      body: { id: "2" },
    });
    await post({ ...telephonyEvent(3), event: "/restapi/v1.0/account/999/telephony/sessions" });
    await inbox.until(3);

    const [first, second, third] = inbox.received;
    expect(first).toMatchObject({
      uuid: "1234567890",
      event: TELEPHONY,
      subscriptionId: info.id,
      ownerId: "809646016",
      body: { sequence: 1 },
    });
    expect(Object.keys(first)).toEqual(["uuid", "event", "timestamp", "subscriptionId", "ownerId", "body"]);
    expect(Number.isNaN(Date.parse(first.timestamp))).toBe(false);
    expect(second.body.sequence).toBe(2);
    expect(typeof second.uuid).toBe("string");
    expect(third.body).toEqual({ id: "1", type: "SMS" });
    expect(sequences).toEqual([2, 3, 4]);
    await wsSubscription.revoke();
  });

  it("recovers after the socket is dropped and gets the missed notifications once, in order", async () => {
    const { inbox, wsSubscription, wse } = await subscribe(["/restapi/v1.0/account/~/telephony/sessions"]);
    await post(telephonyEvent(1));
    await inbox.until(1);

    const recovered = once(wse.eventEmitter, "autoRecoverSuccess");
    expect(
      (await control(sim, "POST", "/__sim/faults/socket", { action: "drop" })).json.affected,
    ).toBeGreaterThanOrEqual(1);
    for (const n of [2, 3, 4]) await post(telephonyEvent(n));
    await recovered;
    expect(wse.connectionDetails.recoveryState).toBe("Successful");
    await inbox.until(4);
    await post(telephonyEvent(5));
    await inbox.until(5);

    expect(inbox.received.map((e) => e.body.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(inbox.received.map((e) => e.uuid)).size).toBe(5);
    expect(inbox.received.every((e) => e.subscriptionId === wsSubscription.subscriptionInfo!.id)).toBe(true);
    await wsSubscription.revoke();
  });

  it("fails recovery after a stall longer than the recovery window, then starts a new session and subscription", async () => {
    // @rc-ex/ws checks the socket every 2 s, so a 0.3 s window is always missed after a stall.
    const strict = await startTestSimulator({ webSocket: { recoveryTimeoutSeconds: 0.3 } });
    try {
      const { inbox, wsSubscription, wse } = await subscribe(["/restapi/v1.0/account/~/telephony/sessions"], strict);
      const firstId = wsSubscription.subscriptionInfo!.id;
      await post(telephonyEvent(1), strict);
      await inbox.until(1);

      const failed = once(wse.eventEmitter, "autoRecoverFailed");
      await control(strict, "POST", "/__sim/faults/socket", { action: "stall", closeAfterMs: 400 });
      await post(telephonyEvent(2), strict); // lost: buffered for a session that will not be recovered
      await failed;
      expect(wse.connectionDetails).toMatchObject({ recoveryState: "Failed", recoveryErrorCode: "WSG-1002" });

      const newId = wsSubscription.subscriptionInfo!.id;
      expect(newId).not.toBe(firstId);
      const ids = (await control(strict, "GET", "/__sim/subscriptions")).json.records.map((s: any) => s.id);
      expect(ids).toContain(newId);
      expect(ids).not.toContain(firstId);

      await post(telephonyEvent(3), strict);
      await inbox.until(2);
      expect(inbox.received.map((e) => e.body.sequence)).toEqual([1, 3]);
      await wsSubscription.revoke();
    } finally {
      await strict.close();
    }
  });

  it("applies notification faults: duplicate, drop, reorder, delay", async () => {
    const { inbox, wsSubscription } = await subscribe(["/restapi/v1.0/account/~/telephony/sessions"]);
    await control(sim, "POST", "/__sim/faults/notifications", { type: "duplicate", count: 1 });
    await post(telephonyEvent(1));
    await control(sim, "POST", "/__sim/faults/notifications", { type: "drop", count: 1 });
    await post(telephonyEvent(2));
    await control(sim, "POST", "/__sim/faults/notifications", { type: "reorder", count: 2 });
    await post(telephonyEvent(3));
    await post(telephonyEvent(4));
    await control(sim, "POST", "/__sim/faults/notifications", { type: "delay", count: 1, ms: 30 });
    await post(telephonyEvent(5));
    await post(telephonyEvent(6));
    await inbox.until(6);
    const sequences = inbox.received.map((e) => e.body.sequence);
    expect(sequences.slice(0, 4)).toEqual([1, 1, 4, 3]);
    // The delayed one still arrives; whether it overtakes 6 depends on timing, so order is not asserted.
    expect(sequences.slice(4).sort()).toEqual([5, 6]);
    expect(inbox.received[0].uuid).toBe(inbox.received[1].uuid);
    expect((await control(sim, "GET", "/__sim/faults")).json.notifications).toEqual([]);
    await wsSubscription.revoke();
  });
});

// ---------------------------------------------------------------------------------------------

type Frame = [any, any?];

/** A raw protocol client: frames in arrival order, awaitable. */
class RawClient {
  readonly frames: Frame[] = [];
  private waiters: Array<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  readonly closed: Promise<number>;

  constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) => socket.on("close", (code) => resolve(code)));
  }

  next(test: (f: Frame) => boolean): Promise<Frame> {
    const seen = this.frames.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  async request(messageId: string, method: string, path: string, body?: unknown): Promise<Frame> {
    const meta = { type: "ClientRequest", messageId, method, path };
    this.send(body === undefined ? [meta] : [meta, body]);
    return this.next(([m]) => m.messageId === messageId && m.type === "ClientRequest");
  }
}

async function wsToken(token: string): Promise<{ uri: string; ws_access_token: string }> {
  return (await api(sim, token, "POST", "/restapi/oauth/wstoken")).json;
}

async function connect(token: string, wsc?: string): Promise<RawClient> {
  const { uri, ws_access_token } = await wsToken(token);
  const socket = new WebSocket(`${uri}?access_token=${ws_access_token}${wsc ? `&wsc=${wsc}` : ""}`);
  return new RawClient(socket);
}

describe("the WebSocket protocol, frame by frame", () => {
  it("sends ConnectionDetails first, echoes heartbeats and routes ClientRequests", async () => {
    const client = await connect(await accessToken(sim));
    const [meta, details] = await client.next(() => true);
    expect(meta).toMatchObject({ type: "ConnectionDetails", status: 200, wsc: { sequence: 1 } });
    expect(typeof meta.wsc.token).toBe("string");
    expect(details).toMatchObject({
      maxConnectionsPerSession: 50,
      recoveryBufferSize: 100,
      recoveryTimeout: 10,
      idleTimeout: 1800,
      absoluteTimeout: 86400,
      maxActiveRequests: 10,
    });
    expect(details.recoveryState).toBeUndefined();

    client.send([{ type: "Heartbeat", messageId: "hb-1" }]);
    expect(await client.next(([m]) => m.type === "Heartbeat")).toEqual([{ type: "Heartbeat", messageId: "hb-1" }]);

    const [created, subscription] = await client.request("m-1", "POST", "/restapi/v1.0/subscription/", {
      eventFilters: ["/restapi/v1.0/account/~/extension/~/voicemail"],
      deliveryMode: { transportType: "WebSocket" },
    });
    expect(created).toMatchObject({
      status: 200,
      headers: { "WSG-SubscriptionId": subscription.id, "X-Rate-Limit-Group": "medium" },
    });
    expect(subscription).toMatchObject({
      status: "Active",
      expiresIn: 86399,
      eventFilters: ["/restapi/v1.0/account/809646016/extension/809646016/voicemail"],
    });

    const [bad, badBody] = await client.request("m-2", "POST", "/restapi/v1.0/subscription", {
      eventFilters: ["/nope"],
      deliveryMode: { transportType: "WebSocket" },
    });
    expect(bad.status).toBe(400);
    expect(badBody.errorCode).toBe("SUB-508");
    const [missing] = await client.request("m-3", "GET", "/restapi/v1.0/subscription/unknown");
    expect(missing.status).toBe(404);
    const [info, extension] = await client.request("m-4", "GET", "/restapi/v1.0/account/~/extension/~");
    expect(info.status).toBe(200);
    expect(extension.id).toBe(809646016);
    const [deleted] = await client.request("m-5", "DELETE", `/restapi/v1.0/subscription/${subscription.id}`);
    expect(deleted.status).toBe(204);

    client.send("not json");
    const [error, errorBody] = await client.next(([m]) => m.type === "Error");
    expect(error.status).toBe(400);
    expect(errorBody.errorCode).toBe("WSG-400");
    client.socket.close();
  });

  it("rejects a bad WS token and a bogus wsc with an Error frame and closes", async () => {
    const bad = new RawClient(new WebSocket(`${sim.url.replace("http", "ws")}/ws?access_token=nope`));
    const [meta] = await bad.next(() => true);
    expect(meta).toMatchObject({ type: "Error", status: 401 });
    await bad.closed;

    const bogus = await connect(await accessToken(sim), "Ym9ndXM");
    const [bogusMeta, body] = await bogus.next(() => true);
    expect(bogusMeta.type).toBe("Error");
    expect(body).toEqual({ errorCode: "WSG-400", message: "Malformed WebSocket session context token" });
    await bogus.closed;
  });

  it("fails recovery without a subscription (WSG-1005) and under a new OAuth session (WSG-1003)", async () => {
    const token = await accessToken(sim);
    const plain = await connect(token);
    const [meta] = await plain.next(() => true);
    plain.socket.close();
    await plain.closed;
    const noSubscription = await connect(token, meta.wsc.token);
    const [, details] = await noSubscription.next(() => true);
    expect(details).toMatchObject({ recoveryState: "Failed", recoveryErrorCode: "WSG-1005" });
    noSubscription.socket.close();

    const subscribed = await connect(token);
    const [subscribedMeta] = await subscribed.next(() => true);
    await subscribed.request("s-1", "POST", "/restapi/v1.0/subscription", {
      eventFilters: [TELEPHONY],
      deliveryMode: { transportType: "WebSocket" },
    });
    subscribed.socket.close();
    await subscribed.closed;
    const otherSession = await connect(await accessToken(sim), subscribedMeta.wsc.token);
    const [, otherDetails] = await otherSession.next(() => true);
    expect(otherDetails).toMatchObject({ recoveryState: "Failed", recoveryErrorCode: "WSG-1003" });
    otherSession.socket.close();
  });

  it("replays at most recoveryBufferSize notifications, oldest dropped first", async () => {
    const roomy = await startTestSimulator({ webSocket: { recoveryBufferSize: 3, replayDelayMs: 0 } });
    try {
      const token = await accessToken(roomy);
      const { uri, ws_access_token } = (await api(roomy, token, "POST", "/restapi/oauth/wstoken")).json;
      const first = new RawClient(new WebSocket(`${uri}?access_token=${ws_access_token}`));
      const [meta] = await first.next(() => true);
      await first.request("s", "POST", "/restapi/v1.0/subscription", {
        eventFilters: [TELEPHONY],
        deliveryMode: { transportType: "WebSocket" },
      });
      first.socket.close();
      await first.closed;
      for (let n = 1; n <= 5; n++) await control(roomy, "POST", "/__sim/notifications", telephonyEvent(n));

      const second = new RawClient(new WebSocket(`${uri}?access_token=${ws_access_token}&wsc=${meta.wsc.token}`));
      const [, details] = await second.next(() => true);
      expect(details.recoveryState).toBe("Successful");
      await second.next(([m, body]) => m.type === "ServerNotification" && body.body.sequence === 5);
      const replayed = second.frames.filter(([m]) => m.type === "ServerNotification");
      expect(replayed.map(([, body]) => body.body.sequence)).toEqual([3, 4, 5]);
      expect(replayed.map(([m]) => m.wsc.sequence)).toEqual([4, 5, 6]);
      second.socket.close();
    } finally {
      await roomy.close();
    }
  });
});
