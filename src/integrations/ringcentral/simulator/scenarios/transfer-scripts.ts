// Transfers: blind (cold) to an extension or an external number, and attended through a
// consultation call. `transferCall` is shared with call control.

import type { SimAccount, SimContext, SimExtension } from "../core.ts";
import {
  addParty,
  changeStatus,
  createSession,
  extensionById,
  extensionByNumber,
  type PartyStatusReason,
  type SimParty,
  type SimSession,
} from "../telephony.ts";
import { directInboundSteps, hangupSteps } from "./common-steps.ts";
import { agentFor, defaultAgent, extensionEndpoint, numberRoutedTo, users } from "./endpoints.ts";
import { dialExtension } from "./outbound-scripts.ts";
import { answer, disconnect, hold, move } from "./party-moves.ts";
import { ScenarioInputError, type Call, type ScenarioOptions, type StepList } from "./script.ts";

/** The agent answers, then blind-transfers to an extension or an external number. */
export function coldTransferScript(call: Call): StepList {
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
  const target = resolveTransferTarget(call.account, call.options.transferTo);
  const direct = directInboundSteps(call, agentExt, dialled);
  let targetParty: SimParty | undefined;
  return [
    ...direct.steps,
    { name: "answer", run: () => answer(call, direct.agent()) },
    {
      name: "transfer",
      run: () => {
        const agent = direct.agent();
        if (agent?.status.code !== "Answered") return;
        targetParty = transferCall(call, agent, target, "BlindTransfer");
      },
    },
    { name: "target-answers", run: () => answer(call, targetParty) },
    ...hangupSteps(call, () => targetParty, direct.caller),
  ];
}

export interface TransferTarget {
  extension?: SimExtension;
  phoneNumber?: string;
}

export function resolveTransferTarget(account: SimAccount, spec: ScenarioOptions["transferTo"]): TransferTarget {
  if (spec?.phoneNumber) return { phoneNumber: spec.phoneNumber };
  const ext = spec?.extensionId
    ? extensionById(account, spec.extensionId)
    : spec?.extensionNumber
      ? extensionByNumber(account, spec.extensionNumber)
      : users(account).filter((u) => u !== defaultAgent(account))[0];
  if (!ext) throw new ScenarioInputError("transferTo", "No transfer target extension");
  return { extension: ext };
}

/**
 * Moves the call from `from` to a new leg: `from` leaves with the transfer reason, the target rings.
 * Shared with call control (reason RccTransfer there).
 */
export function transferCall(
  call: { ctx: SimContext; session: SimSession },
  from: SimParty,
  target: TransferTarget,
  reason: PartyStatusReason,
): SimParty {
  const caller = call.session.parties.find((p) => p.sim.role === "caller" || p.sim.role === "initiator");
  const callerEndpoint = caller?.from ?? from.from;
  const dialled = from.to.phoneNumber ?? "";
  from.sim.transferredTo = target.extension
    ? extensionEndpoint(target.extension, target.extension.extensionNumber)
    : { phoneNumber: target.phoneNumber };
  changeStatus(call.ctx, call.session, from, "Disconnected", { reason });
  if (target.extension) {
    const leg = addParty(call.ctx, call.session, {
      role: "transfer-target",
      direction: "Inbound",
      extensionId: target.extension.id,
      to: extensionEndpoint(target.extension, dialled),
      from: { ...callerEndpoint },
    });
    changeStatus(call.ctx, call.session, leg, "Proceeding");
    return leg;
  }
  // An external target is a PSTN leg: like the callee in the outbound capture it starts Proceeding.
  return addParty(
    call.ctx,
    call.session,
    {
      role: "transfer-target",
      direction: "Inbound",
      to: { phoneNumber: target.phoneNumber },
      from: { ...callerEndpoint },
    },
    "Proceeding",
  );
}

/** The agent consults a colleague on a second call, then completes the transfer (both legs Gone). */
export function attendedTransferScript(call: Call, scenarioSessions: SimSession[]): StepList {
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
  const target = resolveTransferTarget(call.account, call.options.transferTo);
  if (!target.extension) throw new ScenarioInputError("transferTo", "An attended transfer needs an extension target");
  const targetExt = target.extension;
  const direct = directInboundSteps(call, agentExt, dialled);
  let consult: Call | undefined;
  let agentOnConsult: SimParty | undefined;
  let colleague: SimParty | undefined;
  return [
    ...direct.steps,
    { name: "answer", run: () => answer(call, direct.agent()) },
    { name: "hold-caller", run: () => hold(call, direct.agent()) },
    {
      name: "consult-dial",
      run: () => {
        consult = { ...call, session: createSession(call.ctx, call.account.id, "Call") };
        scenarioSessions.push(consult.session);
        const legs = dialExtension(consult, agentExt, targetExt);
        agentOnConsult = legs.caller;
        colleague = legs.callee;
      },
    },
    { name: "consult-ring", run: () => consult && move(consult, colleague, "Proceeding") },
    { name: "consult-answer", run: () => consult && answer(consult, colleague) },
    {
      name: "complete-transfer",
      run: () => {
        const agent = direct.agent();
        const caller = direct.caller();
        if (!consult || !agent || !caller || !agentOnConsult || !colleague) return;
        move(call, agent, "Gone", {
          reason: "AttendedTransfer",
          peerId: {
            sessionId: consult.session.sessionId,
            telephonySessionId: consult.session.id,
            partyId: colleague.id,
          },
        });
        move(consult, agentOnConsult, "Gone", {
          reason: "AttendedTransfer",
          peerId: { sessionId: call.session.sessionId, telephonySessionId: call.session.id, partyId: caller.id },
        });
      },
    },
    ...(call.options.hangup === false
      ? []
      : [
          {
            name: "hangup",
            run: () => {
              if (consult) disconnect(consult, colleague);
              disconnect(call, direct.caller());
            },
          },
        ]),
  ];
}
