// Calls as RingCentral notifies them (one party per notification), from a short description of
// what happened: who was rung, the outcome, how long the caller waited, talked and was held.
import type { TelephonyNotification, TelephonyParty } from "../../src/domain/calls.ts";

export type Kind = "ANSWERED" | "MISSED" | "ABANDONED" | "VOICEMAIL" | "OUTBOUND";
export interface CallSpec {
  inbox: "X" | "Y";
  startMinute: number;
  kind: Kind;
  /** Agents rung (indices), the first answers when answered. */
  rung: number[];
  waitSeconds: number;
  talkSeconds: number;
  /**
   * ANSWERED and OUTBOUND: the agent's leg goes on hold once for this long (at most talkSeconds), in
   * the middle of the talk, then is answered again; a hold as long as the talk lasts until the call
   * ends (the caller hangs up while held).
   */
  holdSeconds?: number;
  seed: number;
}

function party(partyId: string, over: Partial<TelephonyParty>): TelephonyParty {
  return {
    partyId,
    direction: "Inbound",
    extensionId: null,
    fromNumber: null,
    toNumber: null,
    statusCode: "Proceeding",
    reason: null,
    missedCall: false,
    queueCall: false,
    muted: false,
    peerTelephonySessionId: null,
    ...over,
  };
}

/** The call's notifications, one party each, in the order RingCentral would send them. */
export function notificationsOf(
  spec: CallSpec,
  session: string,
  numbers: { X: string; Y: string },
  agentExtensions: string[],
  start: number,
  customer: string,
): TelephonyNotification[] {
  const number = numbers[spec.inbox];
  const t0 = start;
  const at = (s: number) => new Date(t0 + s * 1000);
  let sequence = 1;
  const out: TelephonyNotification[] = [];
  const n = (second: number, p: TelephonyParty) =>
    out.push({
      uuid: `${session}-${sequence}`,
      telephonySessionId: session,
      sequence: sequence++,
      eventTime: at(second),
      parties: [p],
    });
  const w = spec.waitSeconds;
  const end = w + spec.talkSeconds;
  const hold = spec.holdSeconds ?? 0;
  if (hold > spec.talkSeconds) throw new Error("a hold cannot outlast the talk");
  const holdStart = w + Math.floor((spec.talkSeconds - hold) / 2);
  /** The agent's leg on hold and back (or held until the end). */
  const held = (partyId: string, on: Partial<TelephonyParty>) => {
    if (hold === 0) return;
    n(holdStart, party(partyId, { ...on, statusCode: "Hold" }));
    if (holdStart + hold < end) n(holdStart + hold, party(partyId, { ...on, statusCode: "Answered" }));
  };
  if (spec.kind === "OUTBOUND") {
    const extensionId = agentExtensions[spec.rung[0]!]!;
    const leg = { direction: "Outbound" as const, extensionId, fromNumber: number, toNumber: customer };
    const callee = { direction: "Inbound" as const, fromNumber: number, toNumber: customer };
    n(0, party("a", leg));
    n(0, party("c", callee));
    n(w, party("c", { ...callee, statusCode: "Answered" }));
    n(w, party("a", { ...leg, statusCode: "Answered" }));
    held("a", leg);
    n(end, party("c", { ...callee, statusCode: "Disconnected" }));
    n(end, party("a", { ...leg, statusCode: "Disconnected" }));
    return out;
  }
  const caller = { direction: "Outbound" as const, fromNumber: customer, toNumber: number };
  const legs = spec.rung.map((i) => ({
    id: `l${i}`,
    on: { extensionId: agentExtensions[i]!, fromNumber: customer, toNumber: number },
  }));
  n(0, party("x", caller));
  for (const leg of legs) n(0, party(leg.id, leg.on));
  if (spec.kind === "ANSWERED") {
    const [answerer, ...others] = legs;
    n(w, party(answerer!.id, { ...answerer!.on, statusCode: "Answered" }));
    n(w, party("x", { ...caller, statusCode: "Answered" }));
    for (const leg of others) n(w, party(leg.id, { ...leg.on, statusCode: "Disconnected" }));
    held(answerer!.id, answerer!.on);
    n(end, party(answerer!.id, { ...answerer!.on, statusCode: "Disconnected" }));
    n(end, party("x", { ...caller, statusCode: "Disconnected" }));
  } else if (spec.kind === "MISSED") {
    for (const leg of legs)
      n(w, party(leg.id, { ...leg.on, statusCode: "Disconnected", missedCall: true, reason: "Timeout" }));
    n(w, party("x", { ...caller, statusCode: "Disconnected" }));
  } else if (spec.kind === "ABANDONED") {
    n(w, party("x", { ...caller, statusCode: "Disconnected" }));
    for (const leg of legs)
      n(w, party(leg.id, { ...leg.on, statusCode: "Disconnected", missedCall: true, reason: "Cancelled" }));
  } else {
    const [first, ...others] = legs;
    for (const leg of others)
      n(w, party(leg.id, { ...leg.on, statusCode: "Disconnected", missedCall: true, reason: "Timeout" }));
    n(w, party(first!.id, { ...first!.on, statusCode: "VoiceMail" }));
    n(w + 20, party("x", { ...caller, statusCode: "Disconnected" }));
    n(w + 20, party(first!.id, { ...first!.on, statusCode: "Disconnected" }));
  }
  return out;
}
