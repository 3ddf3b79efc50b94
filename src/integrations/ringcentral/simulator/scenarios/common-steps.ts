// Step sequences several scripts share: the middle of a connected call, its hangup, and a PSTN
// caller dialling a user directly.

import type { SimExtension } from "../core.ts";
import type { SimParty } from "../telephony.ts";
import { addInboundExtensionLeg, addPstnCaller, extensionEndpoint, namedCaller } from "./endpoints.ts";
import { hangUp, hold, move, setMuted, unhold } from "./party-moves.ts";
import type { Call, StepList } from "./script.ts";

/** Optional middle of a connected call: hold/unhold and mute/unmute by `party()`. */
export function midCallSteps(call: Call, party: () => SimParty | undefined): StepList {
  const steps: StepList = [];
  if (call.options.hold) {
    steps.push({ name: "hold", run: () => hold(call, party()) });
    steps.push({ name: "unhold", run: () => unhold(call, party()) });
  }
  if (call.options.mute) {
    steps.push({ name: "mute", run: () => setMuted(call, party(), true) });
    steps.push({ name: "unmute", run: () => setMuted(call, party(), false) });
  }
  return steps;
}

export function hangupSteps(
  call: Call,
  agent: () => SimParty | undefined,
  caller: () => SimParty | undefined,
): StepList {
  if (call.options.hangup === false) return [];
  const first = call.options.hangup === "caller" ? caller : agent;
  return [{ name: "hangup", run: () => hangUp(call, first()) }];
}

/** PSTN → user directly. Ordering as capture B: the caller's leg is answered before the user. */
export function directInboundSteps(
  call: Call,
  agentExt: SimExtension,
  dialled: string,
): { steps: StepList; caller: () => SimParty | undefined; agent: () => SimParty | undefined } {
  let caller: SimParty | undefined;
  let agent: SimParty | undefined;
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        caller = addPstnCaller(call, dialled);
        agent = addInboundExtensionLeg(call, agentExt, dialled, "agent", namedCaller(call));
        caller.to = extensionEndpoint(agentExt, dialled);
        caller.from = namedCaller(call);
        move(call, caller, "Answered");
      },
    },
    { name: "ring", run: () => move(call, agent, "Proceeding") },
  ];
  return { steps, caller: () => caller, agent: () => agent };
}
