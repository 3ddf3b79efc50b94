// The reads of a call-ingest burst: everything applying its notifications can need, set-wise, each
// in one plain statement (PostgreSQL plans every statement afresh — no prepared statements here).
import type { Prisma } from "../../generated/prisma/client.ts";
import type { CallRow, ChannelRow, PartyRow, StoredAnswer, UserState } from "../../domain/call-ingest-state.ts";
import type { TelephonyParty } from "../../domain/telephony.ts";
import { callSelectList, fromJsonTimestamp, partyFromJson, type PartyJson } from "./rows.ts";

type Transaction = Prisma.TransactionClient;

/** A stored call with its channel's routing fields, its parties and what its conversation holds. */
interface StoredCall {
  call: CallRow;
  channel: ChannelRow | null;
  parties: PartyRow[];
  voicemails: number;
  conversation: {
    assigneeId: string | null;
    inboxIds: string[];
    /** The CALL_ENDED activities of the conversation's calls. */
    callEnded: { callId: string; id: string; data: unknown }[];
    /** Agents' answers on every call of the conversation. */
    answers: StoredAnswer[];
  };
}

type StoredCallRow = CallRow & {
  channelInboxId: string | null;
  channelNumber: string | null;
  assigneeId: string | null;
  inboxIds: string[];
  parties: PartyJson[];
  voicemails: number;
  callEnded: { callId: string | null; id: string; data: unknown }[];
  answers: { callId: string; partyId: string; extensionId: string | null; answeredAt: string }[];
};

/**
 * The calls of these sessions with their parties, and what their conversations hold that applying
 * can need, in one statement: Prisma's nested relation query for the same took longer to plan than to run.
 */
export async function loadStoredCalls(tx: Transaction, telephonySessionIds: string[]): Promise<StoredCall[]> {
  const rows = await tx.$queryRaw<StoredCallRow[]>`
    SELECT ${callSelectList("c")},
           ch."inboxId"::text AS "channelInboxId", ch."phoneNumber" AS "channelNumber",
           v."assigneeId"::text,
           ARRAY(SELECT ci."inboxId"::text FROM "ConversationInbox" ci
                 WHERE ci."conversationId" = c."conversationId") AS "inboxIds",
           (SELECT coalesce(json_agg(p), '[]'::json) FROM "CallParty" p WHERE p."callId" = c."id") AS "parties",
           (SELECT count(*)::int FROM "Recording" r
              WHERE r."callId" = c."id" AND r."kind" = 'VOICEMAIL') AS "voicemails",
           (SELECT coalesce(json_agg(json_build_object('callId', a."callId", 'id', a."id", 'data', a."data")),
                            '[]'::json)
              FROM "Activity" a
              WHERE a."conversationId" = c."conversationId" AND a."type" = 'CALL_ENDED') AS "callEnded",
           (SELECT coalesce(json_agg(json_build_object('callId', p."callId", 'partyId', p."partyId",
                                                       'extensionId', p."extensionId", 'answeredAt', p."answeredAt")),
                            '[]'::json)
              FROM "CallParty" p JOIN "Call" o ON o."id" = p."callId"
              WHERE o."conversationId" = c."conversationId" AND p."role" = 'AGENT'
                AND p."answeredAt" IS NOT NULL AND p."direction" = o."direction") AS "answers"
    FROM "Call" c JOIN "Conversation" v ON v."id" = c."conversationId" LEFT JOIN "Channel" ch ON ch."id" = c."channelId"
    WHERE c."telephonySessionId" = ANY(${telephonySessionIds}::text[])`;
  return rows.map(toStoredCall);
}

function toStoredCall(row: StoredCallRow): StoredCall {
  const { channelInboxId, channelNumber, assigneeId, inboxIds, parties, voicemails, callEnded, answers, ...call } = row;
  return {
    call,
    channel: call.channelId ? { id: call.channelId, inboxId: channelInboxId!, phoneNumber: channelNumber! } : null,
    parties: parties.map(partyFromJson),
    voicemails,
    conversation: {
      assigneeId,
      inboxIds,
      callEnded: callEnded.flatMap((a) => (a.callId ? [{ ...a, callId: a.callId }] : [])),
      answers: answers.map((a) => ({ ...a, answeredAt: fromJsonTimestamp(a.answeredAt)! })),
    },
  };
}

/** A notification kept in UnroutedCallEvent until its session can be routed (one row per party). */
interface BufferedEventRow {
  id: string;
  telephonySessionId: string;
  sequence: number;
  payload: { party: TelephonyParty; eventTime: string };
}

/** Buffered events of these sessions, and of the sessions whose parties point at one of them (peers). */
export async function loadBufferedEvents(tx: Transaction, telephonySessionIds: string[]): Promise<BufferedEventRow[]> {
  return tx.$queryRaw<BufferedEventRow[]>`
    SELECT "id", "telephonySessionId", "sequence", "payload" FROM "UnroutedCallEvent"
    WHERE "telephonySessionId" = ANY(${telephonySessionIds}::text[])
       OR "telephonySessionId" IN (
         SELECT "telephonySessionId" FROM "UnroutedCallEvent"
         WHERE "payload"->'party'->>'peerTelephonySessionId' = ANY(${telephonySessionIds}::text[]))
    ORDER BY "receivedAt", "sequence"`;
}

/** Connected voice channels with one of these numbers. */
export function loadVoiceChannels(tx: Transaction, numbers: string[]): Promise<ChannelRow[]> {
  return tx.channel.findMany({
    where: { type: "VOICE", disconnectedAt: null, phoneNumber: { in: numbers } },
    select: { id: true, inboxId: true, phoneNumber: true },
  });
}

/** Users with these emails, with the inboxes they are members of. */
export async function loadUsersByEmail(tx: Transaction, emails: string[]): Promise<(UserState & { email: string })[]> {
  const users = await tx.user.findMany({
    where: { email: { in: emails } },
    select: {
      id: true,
      email: true,
      status: true,
      statusBeforeCall: true,
      muteIncomingCallBanner: true,
      memberships: { select: { inboxId: true } },
    },
  });
  return users.map(({ memberships, ...user }) => ({ ...user, inboxIds: memberships.map((m) => m.inboxId) }));
}

/** Answered, live legs of these extensions on live calls of other sessions than these. */
export async function loadLiveLegsElsewhere(
  tx: Transaction,
  extensionIds: string[],
  excludedSessionIds: string[],
): Promise<{ callId: string; extensionId: string }[]> {
  const legs = await tx.callParty.findMany({
    where: {
      extensionId: { in: extensionIds },
      endedAt: null,
      answeredAt: { not: null },
      call: { endedAt: null, telephonySessionId: { notIn: excludedSessionIds } },
    },
    select: { callId: true, extensionId: true },
  });
  return legs.map(({ callId, extensionId }) => ({ callId, extensionId: extensionId! }));
}

/** The contact of each of these E.164 numbers that has one. */
export function loadContactPhones(tx: Transaction, e164s: string[]): Promise<{ e164: string; contactId: string }[]> {
  return tx.contactPhone.findMany({ where: { e164: { in: e164s } }, select: { e164: true, contactId: true } });
}
