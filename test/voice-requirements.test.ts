// End-to-end voice requirements not covered elsewhere, driven through the simulator (scenarios and
// raw notifications) and observed only through GraphQL HTTP and graphql-ws: R3.2 (the mute-banner
// preference), R3.4 (missed, abandoned), R3.6 (queued with its wait start), R3.11 (extension-only
// calls), R3.13 (automatic BUSY), and R3.14 for the three real captures replayed through the
// simulator's notification API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simControl } from "./support/simulator.ts";
import {
  CALL_UPDATED,
  EXT,
  MAIN_NUMBER,
  query,
  startVoiceWorld,
  stream,
  type VoiceWorld,
} from "./support/voice-agents.ts";
import { CAPTURES, asNewCall, readCapture } from "./support/captures.ts";

let world: VoiceWorld;
let updates: ReturnType<typeof stream>;

const QUEUE_NUMBER = "+16505550199"; // routed to the Support call queue (Alice, Bob, Dispatcher)

beforeAll(async () => {
  world = await startVoiceWorld({
    users: { alice: EXT.alice.email, bob: EXT.bob.email, dispatcher: EXT.dispatcher.email },
    inboxes: { Front: ["alice", "bob", "dispatcher"] },
    channels: { [MAIN_NUMBER]: "Front", [QUEUE_NUMBER]: "Front", [EXT.dispatcher.direct]: "Front" },
    logins: [],
  });
  updates = stream(world, world.admin.token, CALL_UPDATED, { inbox: world.inboxes.Front!.globalId });
});
afterAll(async () => {
  updates?.close();
  await world?.close();
});

const CALL =
  `query($id: ID!) { node(id: $id) { ... on Call { status direction queuedAt answeredAt talkSeconds ` +
  `answeredBy { email }
  conversation { id assignee { email } calls(first: 5) { edges { node { id } } } } } } }`;
const callOf = async (id: string) => (await query(world, world.admin.token, CALL, { id })).node;

const ended = (from: string) => (d: any) =>
  d.callUpdated.call.fromNumber === from &&
  ["ENDED", "MISSED", "ABANDONED", "VOICEMAIL"].includes(d.callUpdated.call.status);

describe("voice requirements end to end", () => {
  it("R3.4: a call nobody answers ends MISSED; a caller hanging up while it rings ends ABANDONED", async () => {
    await simControl(world.sim, "POST", "scenarios", {
      type: "missed",
      to: MAIN_NUMBER,
      extensionId: EXT.alice.id,
      from: "+14155550401",
    });
    const missed = await updates.next(ended("+14155550401"));
    expect((await callOf(missed.callUpdated.call.id)).status).toBe("MISSED");

    await simControl(world.sim, "POST", "scenarios", { type: "abandoned", to: QUEUE_NUMBER, from: "+14155550402" });
    const abandoned = await updates.next(ended("+14155550402"));
    const call = await callOf(abandoned.callUpdated.call.id);
    expect(call).toMatchObject({ status: "ABANDONED", answeredBy: null, conversation: { assignee: null } });
  });

  it("R3.6: a queued call shows QUEUED with when it started waiting, then is assigned to the agent who answers", async () => {
    const scenario = await simControl<{ id: string }>(world.sim, "POST", "scenarios", {
      type: "queue",
      to: QUEUE_NUMBER,
      from: "+14155550403",
      answeredBy: EXT.bob.id,
      mode: "step",
    });
    // dial, the queue answers, the agents ring: the caller now waits in the queue.
    await simControl(world.sim, "POST", `scenarios/${scenario.id}/step`, { count: 3 });
    const queued = await updates.next(
      (d) => d.callUpdated.call.fromNumber === "+14155550403" && d.callUpdated.call.status === "QUEUED",
    );
    const waiting = await callOf(queued.callUpdated.call.id);
    expect(waiting.queuedAt).toBeTruthy();
    await simControl(world.sim, "POST", `scenarios/${scenario.id}/run`);
    await updates.next(ended("+14155550403"));
    const done = await callOf(queued.callUpdated.call.id);
    expect(done).toMatchObject({
      status: "ENDED",
      queuedAt: waiting.queuedAt,
      answeredBy: { email: EXT.bob.email },
      conversation: { assignee: { email: EXT.bob.email } },
    });
  });

  it("R3.2: an agent who muted the incoming call banner is not told; others still are", async () => {
    await query(
      world,
      world.users.bob!.token,
      `mutation { updateViewer(muteIncomingCallBanner: true) { __typename } }`,
    );
    const aliceRings = stream(world, world.users.alice!.token, `subscription { incomingCall { callerNumber } }`);
    const bobRings = stream(world, world.users.bob!.token, `subscription { incomingCall { callerNumber } }`);
    // Both ring on the queue; Alice takes it.
    await simControl(world.sim, "POST", "scenarios", {
      type: "queue",
      to: QUEUE_NUMBER,
      from: "+14155550404",
      answeredBy: EXT.alice.id,
    });
    expect(await aliceRings.next((d) => d.incomingCall.callerNumber === "+14155550404")).toBeTruthy();
    await updates.next(ended("+14155550404"));
    // Bob's stream: nothing for this call — an event he is sent afterwards arrives first.
    await query(
      world,
      world.users.bob!.token,
      `mutation { updateViewer(muteIncomingCallBanner: false) { __typename } }`,
    );
    await simControl(world.sim, "POST", "scenarios", {
      type: "queue",
      to: QUEUE_NUMBER,
      from: "+14155550405",
      answeredBy: EXT.bob.id,
    });
    const first = await bobRings.next(() => true);
    expect(first.incomingCall.callerNumber).toBe("+14155550405");
    aliceRings.close();
    bobRings.close();
  });

  it("R3.13: an agent on a call is BUSY, and returns to their previous status when it ends", async () => {
    await query(world, world.users.alice!.token, `mutation { setStatus(status: AWAY) { __typename } }`);
    const statuses = stream(
      world,
      world.admin.token,
      "subscription($inbox: ID!) { agentStatusChanged(inboxId: $inbox) { automatic status previousStatus user " +
        "{ email } } }",
      {
        inbox: world.inboxes.Front!.globalId,
      },
    );
    await simControl(world.sim, "POST", "scenarios", {
      type: "ivr",
      to: MAIN_NUMBER,
      extensionId: EXT.alice.id,
      from: "+14155550406",
    });
    const busy = await statuses.next((d) => d.agentStatusChanged.user.email === EXT.alice.email);
    expect(busy.agentStatusChanged).toMatchObject({ automatic: true, status: "BUSY", previousStatus: "AWAY" });
    const back = await statuses.next((d) => d.agentStatusChanged.user.email === EXT.alice.email);
    expect(back.agentStatusChanged).toMatchObject({ automatic: true, status: "AWAY", previousStatus: "BUSY" });
    const alice = await query(world, world.users.alice!.token, `{ viewer { status } }`);
    expect(alice.viewer.status).toBe("AWAY");
    statuses.close();
  });

  it("R3.11: a call between extensions that never touches a connected number is not shown", async () => {
    const before = await query(
      world,
      world.admin.token,
      "query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 100) { edges { node { id } " +
        "} } } } }",
      {
        inbox: world.inboxes.Front!.globalId,
      },
    );
    await simControl(world.sim, "POST", "scenarios", {
      type: "extension-to-extension",
      extensionId: EXT.alice.id,
      toExtensionId: EXT.bob.id,
    });
    // A call that is shown, played after it: once it arrives, the other one has been handled too.
    await simControl(world.sim, "POST", "scenarios", {
      type: "ivr",
      to: MAIN_NUMBER,
      extensionId: EXT.alice.id,
      from: "+14155550407",
    });
    await updates.next(ended("+14155550407"));
    const after = await query(
      world,
      world.admin.token,
      "query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 100) { edges { node { id } " +
        "} } } } }",
      {
        inbox: world.inboxes.Front!.globalId,
      },
    );
    expect(after.node.conversations.edges.length).toBe(before.node.conversations.edges.length + 1);
  });

  it("R3.14: the three real captures, delivered by the simulator as RingCentral would, make one conversation each", async () => {
    const expectations = [
      { file: CAPTURES.inbound, direction: "INBOUND", assignee: null, from: "+14083388064" },
      { file: CAPTURES.outbound, direction: "OUTBOUND", assignee: null, from: MAIN_NUMBER },
      {
        file: CAPTURES.extensionToExtension,
        direction: "OUTBOUND",
        assignee: EXT.dispatcher.email,
        from: EXT.dispatcher.direct,
      },
    ];
    for (const [index, expected] of expectations.entries()) {
      const envelopes = asNewCall(readCapture(expected.file), `e2e-${index}`);
      // Fresh uuids are filled in by the simulator; subscriptionId/ownerId are its own.
      await simControl(
        world.sim,
        "POST",
        "notifications",
        envelopes.map(({ uuid, event, body }) => ({ uuid, event, body })),
      );
      const endedCall = await updates.next(
        (d) =>
          d.callUpdated.call.status === "ENDED" &&
          d.callUpdated.call.direction === expected.direction &&
          d.callUpdated.call.fromNumber === expected.from,
      );
      const call = await callOf(endedCall.callUpdated.call.id);
      expect(call.conversation.calls.edges).toHaveLength(1);
      expect(call.talkSeconds).toBeGreaterThan(0);
      if (expected.assignee) expect(call.conversation.assignee).toEqual({ email: expected.assignee });
    }
  });
});
