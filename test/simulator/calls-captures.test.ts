// Fidelity: the scripted inbound (PSTN → IVR → user), outbound (user → PSTN) and
// extension → extension calls produce the same notification sequence as the real captures,
// received through a real @ringcentral/subscriptions account-level subscription.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { startTestSimulator } from "./platform-harness.ts";
import {
  ACCOUNT_SESSIONS,
  loggedInSdk,
  readCapture,
  seeded,
  startScenario,
  subscribe,
  type Notification,
  type NotificationInbox,
} from "./feature-support.ts";

/** Everything about a notification that must match a capture, without ids, times and numbers. */
function shapeOf(n: Notification) {
  const party = n.body.parties[0];
  const scopedTo = /\/account\/[^/]+\/extension\/([^/]+)\/telephony\/sessions$/.exec(n.event)?.[1];
  return {
    envelopeKeys: Object.keys(n).sort().join(","),
    bodyKeys: Object.keys(n.body).sort().join(","),
    partiesPerEvent: n.body.parties.length,
    sequence: n.body.sequence,
    eventScope: scopedTo ? "extension" : "account",
    eventScopedToParty: scopedTo === undefined ? party.extensionId === undefined : scopedTo === party.extensionId,
    party: party.id.split("-").at(-1),
    direction: party.direction,
    status: party.status.code,
    hasExtensionId: "extensionId" in party,
    partyKeys: Object.keys(party).sort().join(","),
    statusKeys: Object.keys(party.status).sort().join(","),
    toKeys: Object.keys(party.to).sort().join(","),
    fromKeys: Object.keys(party.from).sort().join(","),
    origin: n.body.origin.type,
  };
}

describe("scripted calls match the real captures", () => {
  let sim: Simulator;
  let inbox: NotificationInbox;

  beforeAll(async () => {
    sim = await startTestSimulator();
    inbox = await subscribe(await loggedInSdk(sim), [ACCOUNT_SESSIONS]);
  });

  afterAll(async () => {
    await inbox.revoke();
    await sim.close();
  });

  async function scriptedCall(body: Record<string, unknown>, expectedCount: number): Promise<Notification[]> {
    const scenario = await startScenario(sim, body);
    return inbox.sessionEvents(scenario.telephonySessionId, expectedCount);
  }

  function expectSameSequence(simulated: Notification[], captured: Notification[]): void {
    expect(simulated.map(shapeOf)).toEqual(captured.map(shapeOf));
    // One session, one fresh uuid per notification, the account as owner.
    expect(new Set(simulated.map((n) => n.body.telephonySessionId)).size).toBe(1);
    expect(new Set(simulated.map((n) => n.body.sessionId)).size).toBe(1);
    expect(new Set(simulated.map((n) => n.uuid)).size).toBe(simulated.length);
    expect(simulated.every((n) => n.ownerId === seeded.admin)).toBe(true);
  }

  it("inbound PSTN → IVR → user, answered, hold, resume, hang up", async () => {
    const captured = readCapture("inbound-pstn-ivr-to-user-answered-hold");
    const simulated = await scriptedCall(
      { type: "ivr", extensionId: seeded.admin, hold: true, from: "+14083388064", callerName: "DIBYENDU ROY" },
      captured.length,
    );
    expectSameSequence(simulated, captured);
    // The caller's `to` is the dialled company number, named after the IVR once it answers.
    expect(simulated[0]!.body.parties[0].to).toEqual({ phoneNumber: seeded.mainNumber });
    expect(simulated.at(-1)!.body.parties[0].to).toMatchObject({ name: "IVR Menu 1001", extensionId: seeded.ivr });
  });

  it("outbound user → PSTN, answered, hold, resume, hang up", async () => {
    const captured = readCapture("outbound-user-to-pstn-answered-hold");
    const simulated = await scriptedCall(
      { type: "outbound", extensionId: seeded.admin, to: "+14083388064", hold: true },
      captured.length,
    );
    expectSameSequence(simulated, captured);
  });

  it("extension → extension, answered, hold, resume, hang up", async () => {
    const captured = readCapture("extension-to-extension-answered-hold");
    const simulated = await scriptedCall(
      { type: "extension-to-extension", extensionId: seeded.dispatcher, toExtensionId: seeded.admin, hold: true },
      captured.length,
    );
    expectSameSequence(simulated, captured);
    // Internal calls show short extension numbers, as in the capture.
    expect(simulated[0]!.body.parties[0].to).toEqual({ phoneNumber: "11101" });
    expect(simulated[1]!.body.parties[0].from).toMatchObject({ phoneNumber: "11104", extensionId: seeded.dispatcher });
  });
});
