// Inbound calls nobody answers: missed, abandoned by the caller, or sent to voicemail.

import { leaveVoicemail } from "../messages/inbound.ts";
import { directInboundSteps } from "./common-steps.ts";
import { agentFor, namedCaller, numberRoutedTo } from "./endpoints.ts";
import { disconnect, move } from "./party-moves.ts";
import { queueRingingSteps } from "./queue-scripts.ts";
import type { Call, StepList } from "./script.ts";

/** The user's phone rings out; nobody answers and the caller gives up. */
export function missedScript(call: Call): StepList {
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
  const direct = directInboundSteps(call, agentExt, dialled);
  return [
    ...direct.steps,
    { name: "ring-timeout", run: () => disconnect(call, direct.agent(), { reason: "Timeout", missedCall: true }) },
    { name: "caller-hangs-up", run: () => disconnect(call, direct.caller()) },
  ];
}

/** The caller hangs up while waiting: in a queue when the account has one, else while ringing. */
export function abandonedScript(call: Call): StepList {
  const hasQueue = call.options.queueExtensionId || call.account.extensions.some((e) => e.type === "Department");
  if (!hasQueue || call.options.extensionId) {
    const agentExt = agentFor(call);
    const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
    const direct = directInboundSteps(call, agentExt, dialled);
    return [
      ...direct.steps,
      {
        name: "caller-hangs-up",
        run: () => {
          disconnect(call, direct.caller());
          disconnect(call, direct.agent(), { reason: "Cancelled", missedCall: true });
        },
      },
    ];
  }
  const queueCall = queueRingingSteps(call);
  return [
    ...queueCall.steps,
    {
      name: "caller-hangs-up",
      run: () => {
        disconnect(call, queueCall.caller());
        for (const agent of queueCall.agents()) disconnect(call, agent, { reason: "Cancelled", missedCall: true });
        disconnect(call, queueCall.queue(), { reason: "Cancelled" });
      },
    },
  ];
}

/** Nobody answers, the call goes to the user's voicemail, then the message lands in the store. */
export function voicemailScript(call: Call): StepList {
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
  const direct = directInboundSteps(call, agentExt, dialled);
  return [
    ...direct.steps,
    { name: "to-voicemail", run: () => move(call, direct.agent(), "VoiceMail", { missedCall: true }) },
    {
      name: "caller-leaves-message",
      run: () => {
        const agent = direct.agent();
        if (agent?.status.code !== "VoiceMail") return;
        disconnect(call, direct.caller());
        disconnect(call, agent);
        const message = leaveVoicemail(call.ctx, {
          accountId: call.account.id,
          extensionId: agentExt.id,
          from: namedCaller(call),
          durationSeconds: call.options.voicemailSeconds ?? 3,
          transcription: call.options.transcription,
        });
        agent.sim.voicemailMessageId = message.id;
      },
    },
  ];
}
