// The voicemail join rule (pure, §3.3 D): a voicemail arrives as a message with no
// telephonySessionId, so it is joined to its call by mailbox extension, caller number and time.
import type { CountryCode } from "libphonenumber-js/max";
import { regionOf, toE164 } from "../phone-numbers.ts";

/** A call the voicemail may belong to: one with a party on the mailbox's extension. */
export interface VoicemailCallCandidate {
  callId: string;
  /** The caller, E.164 when it is one. */
  fromNumber: string | null;
  startedAt: Date;
  endedAt: Date | null;
  /** When the mailbox extension's party went to voicemail, if that was seen. */
  voicemailAt: Date | null;
  /** Already has a (different) voicemail message. */
  hasVoicemail: boolean;
}

export interface VoicemailSighting {
  /** The caller as the message gives it; null for anonymous callers. */
  fromNumber: string | null;
  /** The message's creationTime. */
  createdAt: Date;
}

/** The message is written while or after the caller speaks: at most this long after the call
 * went to voicemail (or ended, or started, whichever is known)… */
export const VOICEMAIL_AFTER_CALL_MS = 10 * 60_000;
/** …and no earlier than this before it (clock skew between RingCentral's services). */
export const VOICEMAIL_BEFORE_CALL_MS = 60_000;
/** How far back the database is searched for candidates (the longest call worth joining). */
export const VOICEMAIL_LOOKBACK_MS = 60 * 60_000;

/** The same number in the form calls store it (E.164 when valid, else as given), a national one read in `region`. */
function normaliseNumber(number: string | null | undefined, region?: CountryCode): string | null {
  if (!number) return null;
  return toE164(number, region) ?? number.trim();
}

function referenceTime(candidate: VoicemailCallCandidate): Date {
  return candidate.voicemailAt ?? candidate.endedAt ?? candidate.startedAt;
}

function couldHoldVoicemail(candidate: VoicemailCallCandidate, caller: string | null, at: number): boolean {
  if (candidate.hasVoicemail) return false;
  const from = normaliseNumber(candidate.fromNumber);
  // A caller given in national form is read in the country of the call's caller (its channel's).
  if (caller && from && normaliseNumber(caller, regionOf(from)) !== from) return false;
  if (candidate.startedAt.getTime() > at + VOICEMAIL_BEFORE_CALL_MS) return false;
  const reference = referenceTime(candidate).getTime();
  return at >= reference - VOICEMAIL_BEFORE_CALL_MS && at <= reference + VOICEMAIL_AFTER_CALL_MS;
}

/**
 * The call a voicemail message belongs to, or null. Candidates must not have another voicemail,
 * must have the same caller (when both numbers are known), must have started before the message,
 * and the message must come within minutes of the moment the call reached voicemail (or ended).
 * Calls seen going to voicemail win over others; then the nearest in time; then the latest started.
 */
export function pickVoicemailCall(candidates: VoicemailCallCandidate[], voicemail: VoicemailSighting): string | null {
  const caller = voicemail.fromNumber?.trim() || null;
  const at = voicemail.createdAt.getTime();
  const eligible = candidates.filter((c) => couldHoldVoicemail(c, caller, at));
  eligible.sort(
    (a, b) =>
      Number(b.voicemailAt !== null) - Number(a.voicemailAt !== null) ||
      Math.abs(at - referenceTime(a).getTime()) - Math.abs(at - referenceTime(b).getTime()) ||
      b.startedAt.getTime() - a.startedAt.getTime(),
  );
  return eligible[0]?.callId ?? null;
}
