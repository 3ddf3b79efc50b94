// Call control through the real @ringcentral/sdk: each endpoint changes the session, emits the
// party's notification, answers in the OpenAPI shape, and is recorded for tests to read.

import type { SDK } from "@ringcentral/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { featureModules } from "../../src/integrations/ringcentral/simulator/modules.ts";
import { expectMatchesOpenApi, throttlingGroup } from "./openapi.ts";
import { startTestSimulator } from "./platform-harness.ts";
import {
  ACCOUNT_SESSIONS,
  control,
  loggedInSdk,
  partyLine,
  publishedFor,
  seeded,
  startScenario,
  subscribe,
  type NotificationInbox,
} from "./feature-support.ts";

let sim: Simulator;
let sdk: SDK;
let inbox: NotificationInbox;

beforeAll(async () => {
  sim = await startTestSimulator();
  sdk = await loggedInSdk(sim);
  inbox = await subscribe(sdk, [ACCOUNT_SESSIONS]);
});

afterAll(async () => {
  await inbox.revoke();
  await sim.close();
});

const sessions = "/restapi/v1.0/account/~/telephony/sessions";

/** Sends through the SDK and returns status + JSON, also for error statuses (the SDK throws those). */
async function call(
  method: "get" | "post" | "patch" | "delete",
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  try {
    const response = await (method === "get" || method === "delete"
      ? sdk.platform()[method](path)
      : sdk.platform()[method](path, body));
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  } catch (error: any) {
    if (!error.response) throw error;
    return { status: error.response.status, json: await error.response.json() };
  }
}

/** A call ringing an agent, waiting for the app. */
async function ringingCall(
  body: Record<string, unknown> = {},
): Promise<{ sessionId: string; agentPartyId: string; scenario: any }> {
  const scenario = await startScenario(sim, { type: "inbound", extensionId: seeded.alice, answer: false, ...body });
  const agent = scenario.parties.find((p: any) => p.role === "agent");
  return { sessionId: scenario.telephonySessionId, agentPartyId: agent.partyId, scenario };
}

async function lastLine(sessionId: string): Promise<string> {
  return partyLine((await publishedFor(sim, sessionId)).at(-1)!);
}

describe("call control on an inbound call", () => {
  it("answer, hold, unhold, mute, record, transfer, drop — state, events and OpenAPI shapes", async () => {
    const { sessionId, agentPartyId } = await ringingCall();
    const party = `${sessions}/${sessionId}/parties/${agentPartyId}`;

    const answered = await call("post", `${party}/answer`, { deviceId: "800000001016" });
    expect(answered.status).toBe(200);
    expectMatchesOpenApi("POST", `${sessions}/{telephonySessionId}/parties/{partyId}/answer`, 200, answered.json);
    expect(answered.json).toMatchObject({
      id: agentPartyId,
      status: { code: "Answered" },
      owner: { extensionId: seeded.alice },
    });
    expect(await lastLine(sessionId)).toBe("p2 Inbound Answered");

    const held = await call("post", `${party}/hold`);
    expect(held.json.status.code).toBe("Hold");
    expectMatchesOpenApi("POST", `${sessions}/{telephonySessionId}/parties/{partyId}/hold`, 200, held.json);
    const resumed = await call("post", `${party}/unhold`);
    expect(resumed.json.status.code).toBe("Answered");

    const muted = await call("patch", party, { party: { muted: true } });
    expect(muted.json.muted).toBe(true);
    expectMatchesOpenApi("PATCH", `${sessions}/{telephonySessionId}/parties/{partyId}`, 200, muted.json);
    expect((await publishedFor(sim, sessionId)).at(-1)!.body.parties[0].muted).toBe(true);
    expect((await call("patch", party, { muted: false })).json.muted).toBe(false);

    const recording = await call("post", `${party}/recordings`);
    expect(recording.status).toBe(201);
    expect(recording.json).toEqual({ id: expect.any(String), active: true });
    const paused = await call("patch", `${party}/recordings/${recording.json.id}`, { active: false });
    expect(paused.json).toEqual({ id: recording.json.id, active: false });

    const session = await call("get", `${sessions}/${sessionId}`);
    expect(session.status).toBe(200);
    expect(session.json).toMatchObject({ id: sessionId, origin: { type: "Call" } });
    expect(session.json.parties.map((p: any) => p.status.code)).toEqual(["Answered", "Answered"]);
    expectMatchesOpenApi("GET", `${sessions}/{telephonySessionId}/parties/{partyId}`, 200, session.json.parties[1]);

    const dropped = await call("delete", `${sessions}/${sessionId}`);
    expect(dropped.status).toBe(204);
    expect((await publishedFor(sim, sessionId)).slice(-2).map(partyLine)).toEqual([
      "p1 Outbound Disconnected",
      "p2 Inbound Disconnected",
    ]);
    expect((await call("get", `${sessions}/${sessionId}`)).status).toBe(404);

    const log = (await control(sim, "GET", `/__sim/call-control-requests?telephonySessionId=${sessionId}`)).json
      .records;
    expect(log.map((r: any) => `${r.method} ${r.path.split("/").slice(-1)[0]} ${r.status}`)).toEqual([
      "POST answer 200",
      "POST hold 200",
      "POST unhold 200",
      `PATCH ${agentPartyId} 200`,
      `PATCH ${agentPartyId} 200`,
      "POST recordings 201",
      `PATCH ${recording.json.id} 200`,
      `DELETE ${sessionId} 204`,
    ]);
    expect(log[0]).toMatchObject({
      body: { deviceId: "800000001016" },
      accountId: seeded.admin,
      extensionId: seeded.admin,
    });
  });

  it("a cold transfer through call control: RccTransfer, then the target rings and answers on its own", async () => {
    const { sessionId, agentPartyId } = await ringingCall();
    const party = `${sessions}/${sessionId}/parties/${agentPartyId}`;
    await call("post", `${party}/answer`, {});
    const transferred = await call("post", `${party}/transfer`, { extensionNumber: "11103" });
    expect(transferred.status).toBe(200);
    expectMatchesOpenApi("POST", `${sessions}/{telephonySessionId}/parties/{partyId}/transfer`, 200, transferred.json);
    expect(transferred.json.status).toEqual({ code: "Disconnected", reason: "RccTransfer" });
    const targetAnswered = await inbox.next(
      (n) =>
        n.body.telephonySessionId === sessionId &&
        n.body.parties[0].extensionId === seeded.bob &&
        n.body.parties[0].status.code === "Answered",
    );
    expect(targetAnswered.body.parties[0].id).toMatch(/-3$/);
    expect((await publishedFor(sim, sessionId)).map(partyLine).slice(-4)).toEqual([
      "p2 Inbound Disconnected/RccTransfer",
      "p3 Inbound Setup",
      "p3 Inbound Proceeding",
      "p3 Inbound Answered",
    ]);
  });

  it("transfer to voicemail leaves a message in the mailbox", async () => {
    const { sessionId, agentPartyId } = await ringingCall();
    const party = `${sessions}/${sessionId}/parties/${agentPartyId}`;
    await call("post", `${party}/answer`, {});
    expect((await call("post", `${party}/transfer`, { voicemail: seeded.bob })).status).toBe(200);
    expect((await publishedFor(sim, sessionId)).map(partyLine).slice(-4)).toEqual([
      "p3 Inbound Setup",
      "p3 Inbound VoiceMail",
      "p3 Inbound Disconnected",
      "p1 Outbound Disconnected",
    ]);
    const voicemails = await call(
      "get",
      `/restapi/v1.0/account/~/extension/${seeded.bob}/message-store?messageType=VoiceMail`,
    );
    expect(voicemails.status).toBe(200);
  });

  it("forward, reject and ignore act on ringing parties", async () => {
    const forwardedCall = await ringingCall();
    const forwarded = await call(
      "post",
      `${sessions}/${forwardedCall.sessionId}/parties/${forwardedCall.agentPartyId}/forward`,
      { phoneNumber: "+14155550888" },
    );
    expect(forwarded.status).toBe(200);
    expectMatchesOpenApi("POST", `${sessions}/{telephonySessionId}/parties/{partyId}/forward`, 200, forwarded.json);
    expect(forwarded.json).toMatchObject({
      direction: "Inbound",
      to: { phoneNumber: "+14155550888" },
      status: { code: "Proceeding" },
    });

    const rejectedCall = await ringingCall();
    expect(
      (await call("post", `${sessions}/${rejectedCall.sessionId}/parties/${rejectedCall.agentPartyId}/reject`)).status,
    ).toBe(204);
    expect((await publishedFor(sim, rejectedCall.sessionId)).map(partyLine).slice(-2)).toEqual([
      "p2 Inbound Disconnected/Rejected",
      "p1 Outbound Disconnected",
    ]);

    const queueCall = await startScenario(sim, { type: "queue", answer: false });
    const agents = queueCall.parties.filter((p: any) => p.role === "agent");
    expect(
      (await call("post", `${sessions}/${queueCall.telephonySessionId}/parties/${agents[0].partyId}/ignore`)).status,
    ).toBe(204);
    const answeredByApp = await call(
      "post",
      `${sessions}/${queueCall.telephonySessionId}/parties/${agents[1].partyId}/answer`,
      {},
    );
    expect(answeredByApp.status).toBe(200);
    expect((await publishedFor(sim, queueCall.telephonySessionId)).map(partyLine).slice(-4)).toEqual([
      "p3 Inbound Disconnected",
      "p4 Inbound Answered",
      "p5 Inbound Disconnected/Cancelled",
      "p2 Inbound Disconnected",
    ]);
  });

  it("refuses what RingCentral refuses, in its error shape", async () => {
    const { sessionId, agentPartyId } = await ringingCall();
    const party = `${sessions}/${sessionId}/parties/${agentPartyId}`;
    const holdWhileRinging = await call("post", `${party}/hold`);
    expect(holdWhileRinging.status).toBe(409);
    expect(holdWhileRinging.json).toMatchObject({ errorCode: "TAS-106", errors: [{ errorCode: "TAS-106" }] });
    const twoTargets = await call("post", `${party}/transfer`, {
      phoneNumber: "+14155550100",
      extensionNumber: "11103",
    });
    expect(twoTargets.status).toBe(400);
    expect(twoTargets.json.errorCode).toBe("CMN-101");
    const unknownParty = await call("post", `${sessions}/${sessionId}/parties/p-nope-9/answer`, {});
    expect(unknownParty.status).toBe(404);
    expect(unknownParty.json).toMatchObject({ errorCode: "CMN-102", errors: [{ parameterName: "partyId" }] });
    expect((await call("get", `${sessions}/s-unknown`)).status).toBe(404);
    const refusals = (await control(sim, "GET", `/__sim/call-control-requests?telephonySessionId=${sessionId}`)).json
      .records;
    expect(refusals.map((r: any) => r.status)).toEqual([409, 400, 404]);
  });
});

describe("calls the app starts", () => {
  it("ring-out: InProgress at once, both legs answered on their own, then cancel", async () => {
    const started = await call("post", "/restapi/v1.0/account/~/extension/~/ring-out", {
      from: { phoneNumber: seeded.adminNumber },
      to: { phoneNumber: "+14155550123" },
      playPrompt: false,
    });
    expect(started.status).toBe(200);
    expectMatchesOpenApi(
      "POST",
      "/restapi/v1.0/account/{accountId}/extension/{extensionId}/ring-out",
      200,
      started.json,
    );
    expect(started.json.status).toEqual({
      callStatus: "InProgress",
      callerStatus: "InProgress",
      calleeStatus: "InProgress",
    });
    const connected = await inbox.next(
      (n) =>
        n.body.origin.type === "RingOut" &&
        n.body.parties[0].extensionId === seeded.admin &&
        n.body.parties[0].status.code === "Answered",
    );
    const status = await call("get", `/restapi/v1.0/account/~/extension/~/ring-out/${started.json.id}`);
    expectMatchesOpenApi(
      "GET",
      "/restapi/v1.0/account/{accountId}/extension/{extensionId}/ring-out/{ringoutId}",
      200,
      status.json,
    );
    expect(status.json.status.callStatus).toBe("Success");
    expect((await call("delete", `/restapi/v1.0/account/~/extension/~/ring-out/${started.json.id}`)).status).toBe(204);
    expect((await publishedFor(sim, connected.body.telephonySessionId)).map(partyLine).slice(-2)).toEqual([
      "p1 Outbound Disconnected",
      "p2 Inbound Disconnected",
    ]);
  });

  it("call-out: 201 with the session, origin CallOut, the callee answers on its own", async () => {
    const started = await call("post", "/restapi/v1.0/account/~/telephony/call-out", {
      from: { deviceId: "800000002016" },
      to: { phoneNumber: "+14155550124" },
    });
    expect(started.status).toBe(201);
    expectMatchesOpenApi("POST", "/restapi/v1.0/account/{accountId}/telephony/call-out", 201, started.json);
    const sessionId = started.json.session.id;
    expect(started.json.session.origin.type).toBe("CallOut");
    expect(started.json.session.parties[0].from).toMatchObject({ deviceId: "800000002016", extensionId: seeded.admin });
    await inbox.next(
      (n) =>
        n.body.telephonySessionId === sessionId &&
        n.body.parties[0].extensionId === seeded.admin &&
        n.body.parties[0].status.code === "Answered",
    );
    expect((await publishedFor(sim, sessionId)).map(partyLine)).toEqual([
      "p1 Outbound Setup",
      "p2 Inbound Proceeding",
      "p1 Outbound Proceeding",
      "p2 Inbound Answered",
      "p1 Outbound Answered",
    ]);
  });

  it("with manual progression the call waits at its first step until stepped", async () => {
    await control(sim, "PUT", "/__sim/calls/settings", { progression: "manual" });
    try {
      const started = await call("post", "/restapi/v1.0/account/~/telephony/call-out", {
        from: { deviceId: "800000003016" },
        to: { extensionNumber: "11102" },
      });
      const sessionId = started.json.session.id;
      const scenario = (await control(sim, "GET", "/__sim/scenarios")).json.records.find(
        (s: any) => s.telephonySessionId === sessionId,
      );
      expect(scenario.nextStep).toBe("ring");
      expect((await publishedFor(sim, sessionId)).map(partyLine)).toEqual([
        "p1 Outbound Setup",
        "p2 Inbound Setup",
        "p1 Outbound Answered",
      ]);
      await control(sim, "POST", `/__sim/scenarios/${scenario.id}/step`, { count: 2 });
      expect((await publishedFor(sim, sessionId)).map(partyLine).slice(-2)).toEqual([
        "p2 Inbound Proceeding",
        "p2 Inbound Answered",
      ]);
    } finally {
      await control(sim, "PUT", "/__sim/calls/settings", { progression: "auto" });
    }
  });
});

describe("routes", () => {
  it("every REST route of the telephony and messaging modules uses the spec's rate-limit group", () => {
    const restRoutes = featureModules.flatMap((m) => m.routes).filter((r) => r.path.startsWith("/restapi/"));
    const mismatches = restRoutes
      .map((r) => ({
        route: `${r.method} ${r.path}`,
        ours: r.throttlingGroup,
        spec: throttlingGroup(r.method, r.path.replace(/:(\w+)/g, "{$1}")),
      }))
      .filter((r) => r.ours !== r.spec);
    expect(mismatches).toEqual([]);
  });
});
