// Call log (records with legs and recordings), recordings with downloadable audio, and call-log
// sync: FSync, then ISync returns only calls that ended since the token.

import type { SDK } from "@ringcentral/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { expectMatchesOpenApi } from "./openapi.ts";
import { startTestSimulator } from "./platform-harness.ts";
import { loggedInSdk, seeded, startScenario } from "./feature-support.ts";

let sim: Simulator;
let sdk: SDK;

beforeAll(async () => {
  // Call log, sync and recordings are Heavy (10/min); these tests read them far more often.
  sim = await startTestSimulator({ rateLimits: { Heavy: { limit: 1000 } } });
  sdk = await loggedInSdk(sim);
});

afterAll(async () => {
  await sim.close();
});

async function get(path: string): Promise<any> {
  return (await sdk.platform().get(path)).json();
}

async function recordOf(telephonySessionId: string, view = "Simple"): Promise<any> {
  const list = await get(`/restapi/v1.0/account/~/call-log?view=${view}&telephonySessionId=${telephonySessionId}`);
  return list.records[0];
}

describe("call log", () => {
  it("an answered, recorded inbound call: Accepted, legs, recording metadata and audio", async () => {
    const scenario = await startScenario(sim, {
      type: "ivr",
      extensionId: seeded.alice,
      record: true,
      from: "+14155550120",
      callerName: "ANN CALLER",
    });
    const list = await get(
      `/restapi/v1.0/account/~/call-log?view=Detailed&telephonySessionId=${scenario.telephonySessionId}`,
    );
    expectMatchesOpenApi("GET", "/restapi/v1.0/account/{accountId}/call-log", 200, list);
    const record = list.records[0];
    expect(record).toMatchObject({
      sessionId: scenario.sessionId,
      telephonySessionId: scenario.telephonySessionId,
      type: "Voice",
      direction: "Inbound",
      action: "Phone Call",
      result: "Accepted",
      from: { phoneNumber: "+14155550120", name: "ANN CALLER" },
      to: { phoneNumber: seeded.mainNumber, extensionId: seeded.alice, extensionNumber: "11102" },
      extension: { id: Number(seeded.alice) },
    });
    expect(record.legs.map((l: any) => [l.legType, l.extensionId ?? l.extension?.id, l.result, l.master])).toEqual([
      ["PstnToSip", Number(seeded.ivr), "Missed", true],
      ["Accept", Number(seeded.alice), "Accepted", false],
    ]);
    expect(record.recording.contentUri).toBe(
      `${sim.url}/restapi/v1.0/account/${seeded.admin}/recording/${record.recording.id}/content`,
    );

    const metadata = await get(`/restapi/v1.0/account/~/recording/${record.recording.id}`);
    expectMatchesOpenApi("GET", "/restapi/v1.0/account/{accountId}/recording/{recordingId}", 200, metadata);
    expect(metadata).toMatchObject({
      id: record.recording.id,
      contentType: "audio/x-wav",
      contentUri: record.recording.contentUri,
    });
    const audio = await sdk.platform().get(record.recording.contentUri);
    expect(audio.headers.get("content-type")).toBe("audio/x-wav");
    expect(
      Buffer.from(await audio.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe("RIFF");

    const single = await get(`/restapi/v1.0/account/~/call-log/${record.id}`);
    expect(single.id).toBe(record.id);
  });

  it("results follow how each call ended", async () => {
    const results: Record<string, string> = {};
    for (const [name, body] of Object.entries({
      missed: { type: "missed", extensionId: seeded.bob },
      abandoned: { type: "abandoned" },
      outbound: { type: "outbound", extensionId: seeded.bob, to: "+14155550130" },
      unanswered: { type: "outbound", extensionId: seeded.bob, to: "+14155550131", answer: false, hangup: "agent" },
    })) {
      const scenario = await startScenario(sim, body);
      if (name === "unanswered") {
        await sdk.platform().delete(`/restapi/v1.0/account/~/telephony/sessions/${scenario.telephonySessionId}`);
      }
      results[name] = (await recordOf(scenario.telephonySessionId)).result;
    }
    expect(results).toEqual({
      missed: "Missed",
      abandoned: "Abandoned",
      outbound: "Call connected",
      unanswered: "No Answer",
    });
  });

  it("a call still in progress is not in the log; the extension log holds only its own calls", async () => {
    const live = await startScenario(sim, { type: "inbound", extensionId: seeded.bob, hangup: false });
    expect(await recordOf(live.telephonySessionId)).toBeUndefined();
    await sdk.platform().delete(`/restapi/v1.0/account/~/telephony/sessions/${live.telephonySessionId}`);
    expect(await recordOf(live.telephonySessionId)).toMatchObject({ result: "Accepted" });

    const bobsLog = await get(`/restapi/v1.0/account/~/extension/${seeded.bob}/call-log?perPage=1000`);
    expectMatchesOpenApi("GET", "/restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log", 200, bobsLog);
    expect(bobsLog.records.length).toBeGreaterThan(0);
    const mine = await get("/restapi/v1.0/account/~/extension/~/call-log?perPage=1000");
    expect(mine.records.map((r: any) => r.telephonySessionId)).not.toContain(live.telephonySessionId);
  });
});

describe("call-log sync", () => {
  it("ISync returns only calls that ended after the token", async () => {
    const full = await get("/restapi/v1.0/account/~/extension/~/call-log-sync?syncType=FSync");
    expectMatchesOpenApi("GET", "/restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log-sync", 200, full);
    expect(full.syncInfo).toMatchObject({ syncType: "FSync", syncToken: expect.any(String) });

    const first = await startScenario(sim, {
      type: "extension-to-extension",
      extensionId: seeded.admin,
      toExtensionId: seeded.alice,
    });
    const incremental = await get(
      "/restapi/v1.0/account/~/extension/~/call-log-sync?syncType=ISync" +
        `&syncToken=${encodeURIComponent(full.syncInfo.syncToken)}`,
    );
    expect(incremental.syncInfo.syncType).toBe("ISync");
    expect(incremental.records.map((r: any) => r.telephonySessionId)).toEqual([first.telephonySessionId]);

    const again = await get(
      "/restapi/v1.0/account/~/extension/~/call-log-sync?syncType=ISync" +
        `&syncToken=${encodeURIComponent(incremental.syncInfo.syncToken)}`,
    );
    expect(again.records).toEqual([]);

    const accountFull = await get("/restapi/v1.0/account/~/call-log-sync?syncType=FSync&statusGroup=Missed");
    expectMatchesOpenApi("GET", "/restapi/v1.0/account/{accountId}/call-log-sync", 200, accountFull);
    expect(accountFull.records.every((r: any) => r.result === "Missed")).toBe(true);

    const wrongScope = await sdk
      .platform()
      .get(
        `/restapi/v1.0/account/~/call-log-sync?syncType=ISync&syncToken=${encodeURIComponent(full.syncInfo.syncToken)}`,
      )
      .catch((e) => e.response);
    expect(wrongScope.status).toBe(400);
  });
});
