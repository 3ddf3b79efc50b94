// R3.8 end to end: an attended (warm) transfer — the agent holds the customer, consults a colleague on
// a second RingCentral session, then hands the customer over. The consultation is threaded into the
// customer's conversation, which goes to whoever took it. Its own world: calls of other tests must
// not leave the colleague busy in the simulator. Observed only through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simControl } from "./support/simulator.ts";
import {
  CONVERSATION,
  CONVERSATION_EVENTS,
  EXT,
  query,
  startVoiceWorld,
  stream,
  type VoiceWorld,
} from "./support/voice-agents.ts";

let world: VoiceWorld;
let salesEvents: ReturnType<typeof stream>;

beforeAll(async () => {
  world = await startVoiceWorld({
    users: { alice: EXT.alice.email, bob: EXT.bob.email },
    inboxes: { Sales: ["alice", "bob"] },
    channels: { "+18003151571": "Sales" },
    logins: [],
  });
  salesEvents = stream(world, world.admin.token, CONVERSATION_EVENTS, { inbox: world.inboxes.Sales!.globalId });
});
afterAll(async () => {
  salesEvents?.close();
  await world?.close();
});

const conversation = async (id: string) => (await query(world, world.admin.token, CONVERSATION, { id })).node;

describe("R3.8 attended (warm) transfer", () => {
  it("threads the consultation call into the same conversation and hands it to whoever takes it", async () => {
    const assigned = salesEvents.next(
      (d) =>
        d.conversationEvents.type === "CONVERSATION_ASSIGNED" &&
        d.conversationEvents.payload.assigneeId === world.users.bob!.id,
    );
    const scenario = await simControl<{ telephonySessionIds: string[] }>(world.sim, "POST", "scenarios", {
      type: "attended-transfer",
      to: "+18003151571",
      from: "+14155550304",
      extensionId: EXT.alice.id,
      transferTo: { extensionId: EXT.bob.id },
    });
    expect(scenario.telephonySessionIds).toHaveLength(2);
    const event = await assigned;
    const after = await conversation(event.conversationEvents.conversation.id);
    expect(after.contact.phoneNumbers).toEqual([{ number: "+14155550304" }]);
    expect(after.assignee).toEqual({ email: EXT.bob.email });
    // Both sessions — the customer's call and Alice's consultation with Bob — in one conversation.
    expect(after.calls.edges).toHaveLength(2);
    expect(after.inboxes).toEqual([{ name: "Sales" }]);
  });
});
