// Party moves shared by the scripts. Each is a no-op when the party already left the call, so a
// script survives the app changing the call through call control.

import { startRecording } from "../recordings.ts";
import {
  changeStatus,
  emitParty,
  isEnded,
  isRinging,
  liveParties,
  type PartyStatusReason,
  type SimParty,
  type StatusChange,
} from "../telephony.ts";
import type { Call } from "./script.ts";

export function move(
  call: Call,
  party: SimParty | undefined,
  code: SimParty["status"]["code"],
  change: StatusChange = {},
): void {
  if (!party || isEnded(party.status.code) || party.status.code === code) return;
  changeStatus(call.ctx, call.session, party, code, change);
}

export function answer(call: Call, party: SimParty | undefined): void {
  if (!party || !isRinging(party)) return;
  if (call.options.record && party.extensionId) {
    const recording = startRecording(call.ctx, {
      accountId: call.account.id,
      telephonySessionId: call.session.id,
      partyId: party.id,
      type: "Automatic",
    });
    party.recordings = [{ id: recording.id, active: true }];
    call.session.recordingIds.push(recording.id);
  }
  changeStatus(call.ctx, call.session, party, "Answered");
}

export function hold(call: Call, party: SimParty | undefined): void {
  if (party?.status.code === "Answered") changeStatus(call.ctx, call.session, party, "Hold");
}

export function unhold(call: Call, party: SimParty | undefined): void {
  if (party?.status.code === "Hold") changeStatus(call.ctx, call.session, party, "Answered");
}

export function setMuted(call: Call, party: SimParty | undefined, muted: boolean): void {
  if (!party || isEnded(party.status.code) || party.muted === muted) return;
  party.muted = muted;
  emitParty(call.ctx, call.session, party);
}

export function disconnect(
  call: Call,
  party: SimParty | undefined,
  change: { reason?: PartyStatusReason; missedCall?: boolean } = {},
): void {
  move(call, party, "Disconnected", change);
}

/** Ends the call: the side that hangs up leaves first, then everyone still on the call. */
export function hangUp(call: Call, first: SimParty | undefined): void {
  disconnect(call, first);
  for (const party of liveParties(call.session)) disconnect(call, party);
}
