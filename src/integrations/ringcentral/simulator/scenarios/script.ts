// What a call script works with: the scenario types, their options, the call being scripted and
// the steps a script returns. Scripts (the *-scripts.ts files) build steps; engine.ts runs them.

import type { SimAccount, SimContext } from "../core.ts";
import type { SessionOrigin, SimSession } from "../telephony.ts";

export const scenarioTypes = [
  "inbound",
  "ivr",
  "queue",
  "missed",
  "abandoned",
  "voicemail",
  "cold-transfer",
  "attended-transfer",
  "outbound",
  "ring-out",
  "call-out",
  "extension-to-extension",
] as const;
export type ScenarioType = (typeof scenarioTypes)[number];

/** Options of POST /__sim/scenarios (all optional; defaults come from the seeded account). */
export interface ScenarioOptions {
  accountId?: string;
  /** PSTN caller of inbound calls. */
  from?: string;
  /** Outbound: the number shown to the callee (RingOut `callerId`); default the user's direct number. */
  callerId?: string;
  callerName?: string;
  /** The company number dialled (inbound) or the PSTN number called (outbound). */
  to?: string;
  /** The user extension that answers (inbound) or places the call (outbound). */
  extensionId?: string;
  /** Extension-to-extension: the extension called. */
  toExtensionId?: string;
  /** Queue scenarios: the call queue (Department) and the agent who answers. */
  queueExtensionId?: string;
  answeredBy?: string;
  /** Cold transfer target: an extension (id or number) or an external number. */
  transferTo?: { extensionId?: string; extensionNumber?: string; phoneNumber?: string };
  /** Whether a user answers; false leaves the call ringing for the app to answer or for a hangup. */
  answer?: boolean;
  hold?: boolean;
  mute?: boolean;
  record?: boolean;
  /** Who hangs up at the end; false keeps the call up (end it with call control or /__sim/calls/:id/hangup). */
  hangup?: "agent" | "caller" | false;
  /** Voicemail scenarios. */
  voicemailSeconds?: number;
  transcription?: string;
  /** Call-out: the device placing the call. */
  deviceId?: string;
  /** Milliseconds between steps when running at once; 0 runs every step synchronously. */
  stepDelayMs?: number;
  /** Session origin override (call-out to an extension is an extension-to-extension call). */
  origin?: SessionOrigin;
}

/** Everything a step needs: the simulator, the account and the call being scripted. */
export interface Call {
  ctx: SimContext;
  account: SimAccount;
  session: SimSession;
  options: ScenarioOptions;
}

/** The steps of one scenario, in order; each moves one or more parties. */
export type StepList = { name: string; run: () => void }[];

/** Unusable scenario options; the control route answers it as 400 on `parameterName`. */
export class ScenarioInputError extends Error {
  constructor(
    readonly parameterName: string,
    message: string,
  ) {
    super(message);
  }
}
