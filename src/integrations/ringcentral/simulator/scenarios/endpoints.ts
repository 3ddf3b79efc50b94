// Endpoints and legs as they appear in the captures, and the extensions and numbers a script
// falls back to when its options name none (from the seeded account).

import type { SimAccount, SimExtension } from "../core.ts";
import { addParty, extensionById, type PartyEndpoint, type SimParty } from "../telephony.ts";
import { ScenarioInputError, type Call, type ScenarioOptions } from "./script.ts";

export function pstnCallerEndpoint(options: ScenarioOptions): PartyEndpoint {
  return { phoneNumber: options.from ?? "+14155550100" };
}

function callerName(options: ScenarioOptions): string {
  return options.callerName ?? "WIRELESS CALLER";
}

export function extensionEndpoint(ext: SimExtension, phoneNumber: string): PartyEndpoint {
  return { phoneNumber, name: ext.name, extensionId: ext.id };
}

/** The PSTN caller's leg (account level, Outbound, `to` = the dialled company number). */
export function addPstnCaller(call: Call, dialled: string): SimParty {
  return addParty(call.ctx, call.session, {
    role: "caller",
    direction: "Outbound",
    to: { phoneNumber: dialled },
    from: pstnCallerEndpoint(call.options),
  });
}

/** An inbound leg on an extension (IVR, queue, agent or transfer target). */
export function addInboundExtensionLeg(
  call: Call,
  ext: SimExtension,
  dialled: string,
  role: SimParty["sim"]["role"],
  from: PartyEndpoint,
  extra: { queue?: SimExtension } = {},
): SimParty {
  return addParty(call.ctx, call.session, {
    role,
    direction: "Inbound",
    extensionId: ext.id,
    to: extensionEndpoint(ext, dialled),
    from,
    ...(extra.queue
      ? {
          queueCall: true,
          queueExtensionId: extra.queue.id,
          uiCallInfo: {
            primary: { type: "QueueName", value: extra.queue.name },
            additional: { type: "CallerIdName", value: callerName(call.options) },
          },
        }
      : {}),
  });
}

/** Caller-ID name lookup completes once the call reaches a user (capture: from.name appears then). */
export function namedCaller(call: Call): PartyEndpoint {
  return { ...pstnCallerEndpoint(call.options), name: callerName(call.options) };
}

// ---------------------------------------------------------------------------------------------
// Defaults from the seeded account

export function users(account: SimAccount): SimExtension[] {
  return account.extensions.filter((e) => e.type === "User" && e.status === "Enabled");
}

export function requireExtension(
  account: SimAccount,
  extensionId: string | undefined,
  fallback: () => SimExtension | undefined,
  parameterName: string,
): SimExtension {
  const ext = extensionId ? extensionById(account, extensionId) : fallback();
  if (!ext) {
    const problem = extensionId ? "No such extension" : "The account has no suitable extension";
    throw new ScenarioInputError(parameterName, problem);
  }
  return ext;
}

export function defaultAgent(account: SimAccount): SimExtension | undefined {
  return users(account).find((u) => !u.admin) ?? users(account)[0];
}

export function numberRoutedTo(account: SimAccount, extensionId: string): string | undefined {
  return account.phoneNumbers.find((n) => n.extensionId === extensionId)?.phoneNumber;
}

export function agentFor(call: Call): SimExtension {
  return requireExtension(call.account, call.options.extensionId, () => defaultAgent(call.account), "extensionId");
}
