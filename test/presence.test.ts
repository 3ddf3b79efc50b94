// Presence (R2.4, R3.13): the worker subscribes to the agents' RingCentral presence (Do Not Disturb
// and telephony state) and applies it. An agent who turns DND on in RingCentral (through the
// unmodified SDK, as the RingCentral app does) is AWAY here and cannot make themselves AVAILABLE
// until DND is off; whether they are on a call follows RingCentral, also for calls Switchboard does
// not show; a call Switchboard does show makes them BUSY once, not once per source; DND changed
// while the worker was down is read at its restart. Observed through GraphQL.
import crypto from "node:crypto";
import { SDK } from "@ringcentral/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availabilityAfter } from "../src/domain/presence.ts";
import { simControl, workerFor } from "./support/simulator.ts";
import { EXT, MAIN_NUMBER, query, startVoiceWorld, stream, type VoiceWorld } from "./support/voice-agents.ts";

let world: VoiceWorld;
let alice: SDK;

beforeAll(async () => {
  world = await startVoiceWorld({
    inboxes: { Front: ["alice", "bob"] },
    channels: { [MAIN_NUMBER]: "Front" },
    users: { alice: EXT.alice.email, bob: EXT.bob.email },
    logins: [],
  });
  const { clientId, clientSecret } = world.sim.credentials();
  alice = new SDK({ server: world.sim.url, clientId, clientSecret, cachePrefix: `presence-${crypto.randomUUID()}-` });
  await alice.platform().login({ jwt: world.jwts.alice! });
});
afterAll(async () => {
  await alice?.platform().logout();
  await world?.close();
});

/** Alice changes her Do Not Disturb in RingCentral. */
async function setDnd(on: boolean): Promise<void> {
  await alice.platform().put(`/restapi/v1.0/account/~/extension/${EXT.alice.id}/presence`, {
    dndStatus: on ? "DoNotAcceptAnyCalls" : "TakeAllCalls",
  });
}

async function latestCursor(): Promise<string> {
  const last = await world.api.app.db.prisma.event.findFirst({
    orderBy: { sequence: "desc" },
    select: { sequence: true },
  });
  return String(last?.sequence ?? 0);
}

/** Alice's status changes from now on, as her teammates' dashboards receive them. */
async function statusChanges() {
  return stream(
    world,
    world.admin.token,
    "subscription($inbox: ID!, $after: String) { agentStatusChanged(inboxId: $inbox, after: $after) { status " +
      "previousStatus automatic user { email } } }",
    { inbox: world.inboxes.Front!.globalId, after: await latestCursor() },
  );
}

async function aliceNow(): Promise<{ status: string; doNotDisturb: boolean }> {
  const data = await query(world, world.users.alice!.token, "query { viewer { status doNotDisturb } }");
  return data.viewer;
}

const ofAlice = (d: any) => d.agentStatusChanged.user.email === EXT.alice.email;

describe("RingCentral presence", () => {
  it("Do Not Disturb in RingCentral makes the agent AWAY, refuses AVAILABLE by hand, and gives it back when off", async () => {
    const changes = await statusChanges();
    await setDnd(true);
    expect((await changes.next(ofAlice)).agentStatusChanged).toMatchObject({
      status: "AWAY",
      previousStatus: "AVAILABLE",
      automatic: true,
    });
    expect(await aliceNow()).toEqual({ status: "AWAY", doNotDisturb: true });

    const refused = await query(
      world,
      world.users.alice!.token,
      "mutation { setStatus(status: AVAILABLE) { __typename ... on Error { code message } } }",
    );
    expect(refused.setStatus).toMatchObject({ __typename: "ConflictError", code: "CONFLICT" });
    expect(await aliceNow()).toEqual({ status: "AWAY", doNotDisturb: true });

    await setDnd(false);
    expect((await changes.next(ofAlice)).agentStatusChanged).toMatchObject({ status: "AVAILABLE", automatic: true });
    expect(await aliceNow()).toEqual({ status: "AVAILABLE", doNotDisturb: false });
    changes.close();
  });

  it("a call Switchboard shows makes the agent BUSY once and AVAILABLE once after, though call and presence both say so", async () => {
    const changes = await statusChanges();
    const updates = stream(
      world,
      world.admin.token,
      "subscription($inbox: ID!, $after: String) { callUpdated(inboxId: $inbox, after: $after) { call { status } } }",
      { inbox: world.inboxes.Front!.globalId, after: await latestCursor() },
    );
    await simControl(world.sim, "POST", "scenarios", {
      type: "inbound",
      to: MAIN_NUMBER,
      from: "+14155550188",
      extensionId: EXT.alice.id,
      hangup: "caller",
    });
    await updates.next((d) => d.callUpdated.call.status === "ENDED");
    updates.close();
    // Everything RingCentral sent about the call comes before this DND change, on the same socket:
    // once it is applied, the call's notifications all were.
    await setDnd(true);
    await changes.next(
      (d) =>
        ofAlice(d) && d.agentStatusChanged.previousStatus === "AVAILABLE" && d.agentStatusChanged.status === "AWAY",
    );
    const seen = changes.events.received
      .map((e) => (e.data as any).agentStatusChanged)
      .filter((c) => c.user.email === EXT.alice.email);
    // Whichever source told second changed nothing.
    expect(seen.map((c) => c.status)).toEqual(["BUSY", "AVAILABLE", "AWAY"]);
    await setDnd(false);
    await changes.next((d) => ofAlice(d) && d.agentStatusChanged.status === "AVAILABLE");
    changes.close();
  });

  it("RingCentral decides whether the agent is on a call, also on one Switchboard does not show", async () => {
    const changes = await statusChanges();
    const call = await simControl<{ telephonySessionId: string }>(world.sim, "POST", "scenarios", {
      type: "extension-to-extension",
      extensionId: EXT.bob.id,
      toExtensionId: EXT.alice.id,
      hangup: false,
    });
    expect((await changes.next(ofAlice)).agentStatusChanged).toMatchObject({ status: "BUSY", automatic: true });
    // The call dials no connected number: Switchboard keeps no record of it (R3.11).
    expect(await world.api.app.db.prisma.call.count({ where: { telephonySessionId: call.telephonySessionId } })).toBe(
      0,
    );
    await simControl(world.sim, "POST", `calls/${call.telephonySessionId}/hangup`);
    expect((await changes.next(ofAlice)).agentStatusChanged).toMatchObject({ status: "AVAILABLE", automatic: true });
    changes.close();
  });

  it("reads Do Not Disturb changed while the worker was down when it starts again", async () => {
    await world.worker.close();
    await setDnd(true);
    const restarted = workerFor(world.api.app, world.sim);
    try {
      await restarted.reconcile(); // returns once the connection started, its catch-up included
      expect(await aliceNow()).toEqual({ status: "AWAY", doNotDisturb: true });
      const changes = await statusChanges();
      await setDnd(false);
      await changes.next((d) => ofAlice(d) && d.agentStatusChanged.status === "AVAILABLE");
      changes.close();
    } finally {
      await restarted.close();
    }
  });
});

describe("availability after a presence report (the rule)", () => {
  const base = { status: "AVAILABLE", statusBeforeCall: null, ringCentralDnd: false, statusBeforeDnd: null } as const;

  it("DND during a call changes what the agent returns to, not BUSY; the call's end returns them to AWAY", () => {
    const onCall = availabilityAfter(base, { dnd: false, onCall: true });
    expect(onCall).toEqual({ ...base, status: "BUSY", statusBeforeCall: "AVAILABLE" });
    const dnd = availabilityAfter(onCall, { dnd: true, onCall: true });
    expect(dnd).toEqual({
      status: "BUSY",
      statusBeforeCall: "AWAY",
      ringCentralDnd: true,
      statusBeforeDnd: "AVAILABLE",
    });
    const ended = availabilityAfter(dnd, { dnd: true, onCall: false });
    expect(ended).toEqual({
      status: "AWAY",
      statusBeforeCall: null,
      ringCentralDnd: true,
      statusBeforeDnd: "AVAILABLE",
    });
    expect(availabilityAfter(ended, { dnd: false, onCall: false })).toEqual(base);
  });

  it("leaves a status the agent chose: OFFLINE under DND stays OFFLINE, a BUSY set by hand outlives RingCentral's NoCall", () => {
    const offline = { ...base, status: "OFFLINE" } as const;
    expect(availabilityAfter(offline, { dnd: true, onCall: false })).toEqual({ ...offline, ringCentralDnd: true });
    const busyByHand = { ...base, status: "BUSY" } as const;
    expect(availabilityAfter(busyByHand, { dnd: false, onCall: false })).toEqual(busyByHand);
    expect(availabilityAfter(base, { dnd: false, onCall: null })).toEqual(base);
  });
});
