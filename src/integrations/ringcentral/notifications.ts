// RingCentral notifications (REFERENCE §3) validated with zod and turned into domain inputs.
// Anything that does not parse is reported, never half-applied.
import { z } from "zod";
import type { TelephonyNotification, TelephonyParty } from "../../domain/calls.ts";
import type { PresenceReport } from "../../domain/presence.ts";

const endpoint = z
  .object({ phoneNumber: z.string().optional(), extensionId: z.string().optional(), name: z.string().optional() })
  .passthrough();

const party = z
  .object({
    id: z.string(),
    direction: z.enum(["Inbound", "Outbound"]),
    extensionId: z.string().optional(),
    from: endpoint.optional(),
    to: endpoint.optional(),
    status: z
      .object({
        code: z.string(),
        reason: z.string().optional(),
        peerId: z.object({ telephonySessionId: z.string().optional() }).passthrough().optional(),
      })
      .passthrough(),
    missedCall: z.boolean().optional(),
    queueCall: z.boolean().optional(),
    muted: z.boolean().optional(),
    recordings: z.array(z.object({ id: z.string() }).passthrough()).optional(),
  })
  .passthrough();

const telephonyBody = z
  .object({
    sequence: z.number().int(),
    telephonySessionId: z.string().min(1),
    eventTime: z.string().datetime({ offset: true }),
    parties: z.array(party).min(1),
  })
  .passthrough();

export const envelopeSchema = z
  .object({
    uuid: z.string().min(1),
    event: z.string().min(1),
    timestamp: z.string().optional(),
    subscriptionId: z.string().optional(),
    ownerId: z.string().optional(),
    body: z.unknown(),
  })
  .passthrough();

export type Envelope = z.infer<typeof envelopeSchema>;

export type NotificationKind = "telephony" | "instant-sms" | "message-store" | "voicemail" | "presence" | "unknown";

/** Which kind of event a notification's `event` path is (REFERENCE §2.3). */
export function kindOf(event: string): NotificationKind {
  const path = event.split("?")[0]!;
  if (path.endsWith("/telephony/sessions")) return "telephony";
  if (path.endsWith("/message-store/instant")) return "instant-sms";
  if (path.endsWith("/message-store")) return "message-store";
  if (path.endsWith("/voicemail")) return "voicemail";
  if (path.endsWith("/presence")) return "presence";
  return "unknown";
}

function toParty(raw: z.infer<typeof party>): TelephonyParty {
  return {
    partyId: raw.id,
    direction: raw.direction,
    extensionId: raw.extensionId ?? null,
    fromNumber: raw.from?.phoneNumber ?? null,
    toNumber: raw.to?.phoneNumber ?? null,
    statusCode: raw.status.code,
    reason: raw.status.reason ?? null,
    missedCall: raw.missedCall ?? false,
    queueCall: raw.queueCall ?? false,
    muted: raw.muted ?? false,
    peerTelephonySessionId: raw.status.peerId?.telephonySessionId ?? null,
    recordingIds: (raw.recordings ?? []).map((r) => r.id),
  };
}

export function parseTelephonyNotification(envelope: Envelope): TelephonyNotification {
  const body = telephonyBody.parse(envelope.body);
  return {
    uuid: envelope.uuid,
    telephonySessionId: body.telephonySessionId,
    sequence: body.sequence,
    eventTime: new Date(body.eventTime),
    parties: body.parties.map(toParty),
  };
}

/** A presence body: a detailed presence notification's, or a presence read's (REFERENCE §3.6). */
const presenceBody = z
  .object({
    extensionId: z.union([z.string(), z.number()]).transform(String).optional(),
    extension: z
      .object({ id: z.union([z.string(), z.number()]).transform(String) })
      .passthrough()
      .optional(),
    sequence: z.number().int().optional(),
    dndStatus: z.string().optional(),
    telephonyStatus: z.string().optional(),
  })
  .passthrough();

/** RingCentral's telephony status → on a call (connected or holding), not (no call, a parked one), or neither (ringing). */
const ON_CALL: Record<string, boolean> = { CallConnected: true, OnHold: true, NoCall: false, ParkedCall: false };

/** A presence body as a report about its extension; `sequence` null for a read of the current state. */
export function parsePresence(body: unknown, extensionIdOfPath: string | null, read = false): PresenceReport {
  const parsed = presenceBody.parse(body);
  const extensionId = parsed.extensionId ?? parsed.extension?.id ?? extensionIdOfPath;
  if (!extensionId) throw new Error("a presence without its extension");
  return {
    extensionId,
    sequence: read ? null : (parsed.sequence ?? null),
    dnd: parsed.dndStatus === "DoNotAcceptAnyCalls",
    onCall: parsed.telephonyStatus === undefined ? null : (ON_CALL[parsed.telephonyStatus] ?? null),
  };
}
