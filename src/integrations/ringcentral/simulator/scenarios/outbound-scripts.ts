// Calls a user places: to another extension (capture B) or to the PSTN (capture C), the latter
// also as RingOut and CallOut.

import type { SimExtension } from "../core.ts";
import { addParty, changeStatus, deviceIdOf, directNumberOf, isEnded, type SimParty } from "../telephony.ts";
import { hangupSteps, midCallSteps } from "./common-steps.ts";
import { agentFor, extensionEndpoint, requireExtension, users } from "./endpoints.ts";
import { answer, move } from "./party-moves.ts";
import type { Call, StepList } from "./script.ts";

/** Capture B's first notifications: caller Setup, callee Setup, caller Answered (before the callee). */
export function dialExtension(
  call: Call,
  callerExt: SimExtension,
  calleeExt: SimExtension,
): { caller: SimParty; callee: SimParty } {
  const deviceId = deviceIdOf(call.ctx, callerExt.id);
  const caller = addParty(call.ctx, call.session, {
    role: "initiator",
    direction: "Outbound",
    extensionId: callerExt.id,
    to: { phoneNumber: calleeExt.extensionNumber },
    from: { phoneNumber: directNumberOf(call.account, callerExt.id), extensionId: callerExt.id, deviceId },
  });
  const callee = addParty(call.ctx, call.session, {
    role: "callee",
    direction: "Inbound",
    extensionId: calleeExt.id,
    to: extensionEndpoint(calleeExt, calleeExt.extensionNumber),
    from: { phoneNumber: callerExt.extensionNumber, name: callerExt.name, extensionId: callerExt.id, deviceId },
  });
  caller.to = extensionEndpoint(calleeExt, calleeExt.extensionNumber);
  caller.from = { phoneNumber: caller.from.phoneNumber, name: callerExt.name, extensionId: callerExt.id, deviceId };
  changeStatus(call.ctx, call.session, caller, "Answered");
  return { caller, callee };
}

/** Capture B: extension → extension, answered, held by the caller (`hold: true`), caller hangs up. */
export function extensionToExtensionScript(call: Call): StepList {
  const callerExt = agentFor(call);
  const calleeExt = requireExtension(
    call.account,
    call.options.toExtensionId,
    () => users(call.account).find((u) => u.id !== callerExt.id),
    "toExtensionId",
  );
  let caller: SimParty | undefined;
  let callee: SimParty | undefined;
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        ({ caller, callee } = dialExtension(call, callerExt, calleeExt));
      },
    },
    { name: "ring", run: () => move(call, callee, "Proceeding") },
  ];
  if (call.options.answer === false) return steps;
  return [
    ...steps,
    { name: "answer", run: () => answer(call, callee) },
    ...midCallSteps(call, () => caller),
    ...hangupSteps(
      call,
      () => caller,
      () => callee,
    ),
  ];
}

/**
 * Capture C: user → PSTN. The user's leg starts (Setup), the PSTN callee appears ringing
 * (Proceeding), the user's leg rings back, the callee answers, then the user's leg is answered.
 * RingOut and CallOut run the same legs with their own origin.
 */
export function outboundScript(call: Call): StepList {
  const userExt = agentFor(call);
  const callee = call.options.to ?? "+14155550123";
  // RingOut's callerId (a company number) is what the callee sees and what the legs report.
  const fromNumber = call.options.callerId ?? directNumberOf(call.account, userExt.id);
  let user: SimParty | undefined;
  let pstn: SimParty | undefined;
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        user = addParty(call.ctx, call.session, {
          role: "initiator",
          direction: "Outbound",
          extensionId: userExt.id,
          to: { phoneNumber: callee },
          from: {
            phoneNumber: fromNumber,
            extensionId: userExt.id,
            deviceId: call.options.deviceId ?? deviceIdOf(call.ctx, userExt.id),
          },
        });
      },
    },
    {
      name: "ring",
      run: () => {
        if (!user || isEnded(user.status.code)) return;
        pstn = addParty(
          call.ctx,
          call.session,
          {
            role: "callee",
            direction: "Inbound",
            to: { phoneNumber: callee },
            from: { phoneNumber: fromNumber, name: userExt.name, extensionId: userExt.id },
          },
          "Proceeding",
        );
        move(call, user, "Proceeding");
      },
    },
  ];
  if (call.options.answer === false) return steps;
  return [
    ...steps,
    {
      name: "answer",
      run: () => {
        if (!pstn || isEnded(pstn.status.code)) return;
        move(call, pstn, "Answered");
        answer(call, user);
      },
    },
    ...midCallSteps(call, () => user),
    ...hangupSteps(
      call,
      () => user,
      () => pstn,
    ),
  ];
}
