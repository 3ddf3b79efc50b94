// Telephony notifications as call ingest takes them, whatever transport brought them (WebSocket,
// webhook, call-log catch-up), and what ingest needs to know about the RingCentral account.
import type { CallOutcome } from "./call-outcomes.ts";

export interface ExtensionInfo {
  id: string;
  type: string; // User | IvrMenu | Department | …
  email?: string | null;
}

/** What ingest needs to know about the RingCentral account, supplied by the worker. */
export interface CallDirectory {
  extension(extensionId: string): ExtensionInfo | undefined;
}

export interface TelephonyParty {
  partyId: string;
  direction: "Inbound" | "Outbound";
  extensionId: string | null;
  fromNumber: string | null;
  toNumber: string | null;
  statusCode: string;
  reason: string | null;
  missedCall: boolean;
  queueCall: boolean;
  muted: boolean;
  /** The session this party moved from or to (attended transfers). */
  peerTelephonySessionId: string | null;
  /** RingCentral recordings of this party's leg (R3.12). */
  recordingIds?: string[];
}

export interface TelephonyNotification {
  uuid: string;
  telephonySessionId: string;
  sequence: number;
  eventTime: Date;
  parties: TelephonyParty[];
  /** Set on notifications made from a call-log record: the record's outcome (null: it states
   * none). Applying one settles the call's outcome (call-outcomes.ts `settleWithCallLog`). */
  callLog?: { outcome: CallOutcome | null };
}
