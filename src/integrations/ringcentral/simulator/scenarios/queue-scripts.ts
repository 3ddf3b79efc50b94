// Calls to a call queue: the queue answers, every enabled member rings, one agent answers.

import type { SimExtension } from "../core.ts";
import { extensionById, isEnded, isRinging, settleQueueAfterAnswer, type SimParty } from "../telephony.ts";
import { hangupSteps, midCallSteps } from "./common-steps.ts";
import {
  addInboundExtensionLeg,
  addPstnCaller,
  extensionEndpoint,
  namedCaller,
  numberRoutedTo,
  pstnCallerEndpoint,
  requireExtension,
} from "./endpoints.ts";
import { answer, move } from "./party-moves.ts";
import { ScenarioInputError, type Call, type StepList } from "./script.ts";

interface QueueCall {
  steps: StepList;
  caller: () => SimParty | undefined;
  queue: () => SimParty | undefined;
  agents: () => SimParty[];
}

/** Caller → call queue: the queue answers (caller hears music), every member rings. */
export function queueRingingSteps(call: Call): QueueCall {
  const queueExt = requireExtension(
    call.account,
    call.options.queueExtensionId,
    () => call.account.extensions.find((e) => e.type === "Department"),
    "queueExtensionId",
  );
  const members = (queueExt.members ?? [])
    .map((id) => extensionById(call.account, id))
    .filter((e): e is SimExtension => e !== undefined && e.type === "User" && e.status === "Enabled");
  if (members.length === 0) throw new ScenarioInputError("queueExtensionId", "The call queue has no enabled members");
  const dialled = call.options.to ?? numberRoutedTo(call.account, queueExt.id) ?? call.account.mainNumber;
  let caller: SimParty | undefined;
  let queue: SimParty | undefined;
  const agents: SimParty[] = [];
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        caller = addPstnCaller(call, dialled);
        queue = addInboundExtensionLeg(call, queueExt, dialled, "queue", pstnCallerEndpoint(call.options));
      },
    },
    {
      name: "queue-answers",
      run: () => {
        if (caller) caller.to = extensionEndpoint(queueExt, dialled);
        move(call, caller, "Answered");
        move(call, queue, "Answered");
      },
    },
    {
      name: "agents-ring",
      run: () => {
        if (!caller || isEnded(caller.status.code)) return;
        caller.from = namedCaller(call);
        for (const member of members) {
          agents.push(addInboundExtensionLeg(call, member, dialled, "agent", namedCaller(call), { queue: queueExt }));
        }
        for (const agent of agents) move(call, agent, "Proceeding");
      },
    },
  ];
  return { steps, caller: () => caller, queue: () => queue, agents: () => agents };
}

export function queueScript(call: Call): StepList {
  const queueCall = queueRingingSteps(call);
  if (call.options.answer === false) return queueCall.steps;
  const winner = (): SimParty | undefined =>
    queueCall.agents().find((a) => a.extensionId === call.options.answeredBy) ?? queueCall.agents()[0];
  return [
    ...queueCall.steps,
    {
      name: "agent-answers",
      run: () => {
        const answering = winner();
        if (!answering || !isRinging(answering)) return;
        answer(call, answering);
        settleQueueAfterAnswer(call.ctx, call.session, answering);
      },
    },
    ...midCallSteps(call, winner),
    ...hangupSteps(call, winner, queueCall.caller),
  ];
}
