import { Subscriptions } from "@ringcentral/subscriptions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presenceBookOf, type Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { expectMatchesOpenApi } from "./openapi.ts";
import { accessToken, api, control, isApiErrorBody, loggedInSdk, startTestSimulator } from "./platform-harness.ts";

let sim: Simulator;
let token: string;
beforeAll(async () => {
  sim = await startTestSimulator();
  token = await accessToken(sim);
});
afterAll(async () => {
  await sim.close();
});

const PRESENCE = "/restapi/v1.0/account/~/extension/~/presence";

describe("presence and DND", () => {
  it("reads presence in the published shape", async () => {
    const response = await api(sim, token, "GET", `${PRESENCE}?detailedTelephonyState=true`);
    expect(response.status).toBe(200);
    expectMatchesOpenApi("GET", PRESENCE, 200, response.json, { noUnknownProperties: true });
    expect(response.json).toMatchObject({
      userStatus: "Available",
      dndStatus: "TakeAllCalls",
      telephonyStatus: "NoCall",
      presenceStatus: "Available",
      activeCalls: [],
    });
    expect(response.json.extension.id).toBe(809646016);
  });

  it("sets presence and DND and notifies detailed-presence and DND subscribers", async () => {
    const sdk = await loggedInSdk(sim);
    const subscription = new Subscriptions({ sdk }).createSubscription();
    const events: any[] = [];
    const two = new Promise<void>((resolve) =>
      subscription.on(subscription.events.notification, (event: any) => {
        events.push(event);
        if (events.length === 2) resolve();
      }),
    );
    const wsSubscription = await subscription
      .setEventFilters([`${PRESENCE}?detailedTelephonyState=true`, `${PRESENCE}/dnd`])
      .register();

    const updated = await api(sim, token, "PUT", "/restapi/v1.0/account/~/extension/809646016/presence", {
      dndStatus: "DoNotAcceptAnyCalls",
      userStatus: "Busy",
      message: "In a meeting",
    });
    expect(updated.status).toBe(200);
    expectMatchesOpenApi("PUT", PRESENCE, 200, updated.json, { noUnknownProperties: true });
    expect(updated.json).toMatchObject({
      dndStatus: "DoNotAcceptAnyCalls",
      userStatus: "Busy",
      presenceStatus: "Busy",
      message: "In a meeting",
    });

    await two;
    const detailed = events.find((e) => e.event.endsWith("?detailedTelephonyState=true"));
    expect(detailed).toMatchObject({
      event: "/restapi/v1.0/account/809646016/extension/809646016/presence?detailedTelephonyState=true",
      body: {
        extensionId: "809646016",
        dndStatus: "DoNotAcceptAnyCalls",
        userStatus: "Busy",
        telephonyStatus: "NoCall",
        totalActiveCalls: 0,
      },
    });
    const dnd = events.find((e) => e.event.endsWith("/presence/dnd"));
    expect(dnd.body).toEqual({ extensionId: "809646016", dndStatus: "DoNotAcceptAnyCalls" });
    expect((await api(sim, token, "GET", PRESENCE)).json.dndStatus).toBe("DoNotAcceptAnyCalls");
    await wsSubscription.revoke();
  });

  it("rejects bad presence input and unknown extensions", async () => {
    for (const body of [
      { dndStatus: "Sleeping" },
      { userStatus: 3 },
      { message: "x".repeat(76) },
      { allowSeeMyPresence: "yes" },
      [1],
    ]) {
      const response = await api(sim, token, "PUT", PRESENCE, body);
      expect(response.status).toBe(400);
      expect(isApiErrorBody(response.json)).toBe(true);
    }
    const unknown = await api(sim, token, "GET", "/restapi/v1.0/account/~/extension/1/presence");
    expect(unknown.status).toBe(404);
    expect(unknown.json.errorCode).toBe("CMN-102");
  });

  it("lets feature modules set the telephony state, which shows in presence and its notifications", async () => {
    const book = presenceBookOf(sim.ctx)!;
    const activeCall = {
      id: "c-1",
      direction: "Inbound",
      from: "+14155550100",
      to: "+16505550111",
      telephonyStatus: "Ringing",
      telephonySessionId: "s-1",
      partyId: "p-1",
      sessionId: "1",
      queueCall: false,
    };
    book.setTelephony(sim.ctx, "809646016", "62264425016", "Ringing", [activeCall]);
    const history = (await control(sim, "GET", "/__sim/notifications")).json.records;
    const detailed = history.find(
      (n: any) =>
        n.event === "/restapi/v1.0/account/809646016/extension/62264425016/presence?detailedTelephonyState=true",
    );
    expect(detailed.body).toMatchObject({
      telephonyStatus: "Ringing",
      presenceStatus: "Busy",
      totalActiveCalls: 1,
      activeCalls: [activeCall],
    });
    const read = await api(
      sim,
      token,
      "GET",
      "/restapi/v1.0/account/~/extension/62264425016/presence?detailedTelephonyState=true",
    );
    expectMatchesOpenApi("GET", PRESENCE, 200, read.json, { noUnknownProperties: true });
    expect(read.json).toMatchObject({ telephonyStatus: "Ringing", activeCalls: [activeCall] });
  });
});
