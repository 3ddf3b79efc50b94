// Inbound calls a user answers: straight to the user, or through the IVR (capture A). A number
// routed to a call queue plays the queue script.

import type { SimAccount } from "../core.ts";
import { extensionForNumber, isEnded, type SimParty } from "../telephony.ts";
import { directInboundSteps, hangupSteps, midCallSteps } from "./common-steps.ts";
import {
  addInboundExtensionLeg,
  addPstnCaller,
  agentFor,
  defaultAgent,
  extensionEndpoint,
  namedCaller,
  numberRoutedTo,
  pstnCallerEndpoint,
  requireExtension,
} from "./endpoints.ts";
import { answer, disconnect, move } from "./party-moves.ts";
import { queueScript } from "./queue-scripts.ts";
import type { Call, ScenarioOptions, StepList } from "./script.ts";

export function inboundScript(call: Call): StepList {
  const dialled = call.options.to ?? defaultInboundNumber(call.account, call.options);
  const routed = extensionForNumber(call.account, dialled);
  if (!call.options.extensionId && routed?.type === "IvrMenu") return ivrScript(call);
  if (!call.options.extensionId && routed?.type === "Department") {
    return queueScript({ ...call, options: { ...call.options, queueExtensionId: routed.id } });
  }
  const agentExt = call.options.extensionId || routed?.type !== "User" ? agentFor(call) : routed;
  const direct = directInboundSteps(call, agentExt, dialled);
  if (call.options.answer === false) return direct.steps;
  return [
    ...direct.steps,
    { name: "answer", run: () => answer(call, direct.agent()) },
    ...midCallSteps(call, direct.agent),
    ...hangupSteps(call, direct.agent, direct.caller),
  ];
}

function defaultInboundNumber(account: SimAccount, options: ScenarioOptions): string {
  const agentId = options.extensionId ?? defaultAgent(account)?.id;
  return (agentId && numberRoutedTo(account, agentId)) ?? account.mainNumber;
}

/** Capture A: PSTN → IVR → user, answered (hold/resume with `hold: true`), hung up by the user. */
export function ivrScript(call: Call): StepList {
  const ivrExt = requireExtension(
    call.account,
    undefined,
    () => call.account.extensions.find((e) => e.type === "IvrMenu"),
    "ivr",
  );
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, ivrExt.id) ?? call.account.mainNumber;
  let caller: SimParty | undefined;
  let ivr: SimParty | undefined;
  let agent: SimParty | undefined;
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        caller = addPstnCaller(call, dialled);
        ivr = addInboundExtensionLeg(call, ivrExt, dialled, "ivr", pstnCallerEndpoint(call.options));
      },
    },
    {
      name: "ivr-answers",
      run: () => {
        if (caller) caller.to = extensionEndpoint(ivrExt, dialled);
        move(call, caller, "Answered");
      },
    },
    {
      name: "caller-selects-extension",
      run: () => {
        if (!caller || isEnded(caller.status.code)) return;
        disconnect(call, ivr);
        caller.from = namedCaller(call);
        agent = addInboundExtensionLeg(call, agentExt, dialled, "agent", namedCaller(call));
      },
    },
    { name: "ring", run: () => move(call, agent, "Proceeding") },
  ];
  if (call.options.answer === false) return steps;
  return [
    ...steps,
    { name: "answer", run: () => answer(call, agent) },
    ...midCallSteps(call, () => agent),
    ...hangupSteps(
      call,
      () => agent,
      () => caller,
    ),
  ];
}
