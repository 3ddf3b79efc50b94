// Voice call ingest (R3): a RingCentral telephony notification becomes call, party, conversation,
// assignment, busy-status and timeline changes in one transaction, with its events. Idempotent by
// notification uuid; order-insensitive through call-state.ts.
import type { Prisma } from "../generated/prisma/client.ts";
import { applyPartyEvent, deriveCall, type DerivedCall, type Direction, type PartyEvent, type PartyRole, type PartyState } from "./call-state.ts";
import { findOrCreateContactByNumber } from "./contacts.ts";
import { openConversation, inboxIdsOf } from "./conversations.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "./events.ts";
import { toE164 } from "./phone-numbers.ts";
import { lockCallSession, lockCallSessions, tryLockCallSession } from "./locks.ts";

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
}

export type IngestOutcome = "duplicate" | "unrouted" | "applied";


function roleOf(party: TelephonyParty, directory: CallDirectory): PartyRole {
  if (!party.extensionId) return "EXTERNAL";
  switch (directory.extension(party.extensionId)?.type) {
    case "User":
      return "AGENT";
    case "IvrMenu":
      return "IVR";
    case "Department":
      return "QUEUE";
    default:
      return "OTHER";
  }
}

function toPartyEvent(party: TelephonyParty, notification: TelephonyNotification, directory: CallDirectory): PartyEvent {
  return {
    partyId: party.partyId,
    role: roleOf(party, directory),
    direction: party.direction,
    extensionId: party.extensionId,
    statusCode: party.statusCode,
    reason: party.reason,
    missedCall: party.missedCall,
    queueCall: party.queueCall,
    sequence: notification.sequence,
    eventTime: notification.eventTime,
  };
}

/** Records the uuids; returns those not seen before. */
async function firstSightings(tx: Transaction, uuids: string[]): Promise<Set<string>> {
  const rows = await tx.$queryRaw<{ uuid: string }[]>`
    INSERT INTO "ProcessedNotification" ("uuid") SELECT unnest(${uuids}::text[]) ON CONFLICT DO NOTHING RETURNING "uuid"`;
  return new Set(rows.map((r) => r.uuid));
}

type ChannelRow = Prisma.ChannelGetPayload<object>;

/**
 * What one ingest transaction has read and would otherwise read again for every notification of a
 * burst: the call rows of its (locked) sessions, kept in step with what it writes; users by email;
 * voice channels by number. Lives exactly as long as the transaction (keyed by it).
 */
interface IngestCache {
  calls: Map<string, CallRow>;
  userIdsByEmail: Map<string, string | null>;
  voiceChannelsByNumber: Map<string, ChannelRow | null>;
}

const caches = new WeakMap<Transaction, IngestCache>();

function cacheOf(tx: Transaction): IngestCache {
  let cache = caches.get(tx);
  if (!cache) caches.set(tx, (cache = { calls: new Map(), userIdsByEmail: new Map(), voiceChannelsByNumber: new Map() }));
  return cache;
}

/** Connected voice channels with these numbers. */
async function voiceChannels(tx: Transaction, numbers: string[]): Promise<ChannelRow[]> {
  const cache = cacheOf(tx).voiceChannelsByNumber;
  const wanted = [...new Set(numbers)];
  const missing = wanted.filter((n) => !cache.has(n));
  if (missing.length > 0) {
    const found = await tx.channel.findMany({ where: { type: "VOICE", disconnectedAt: null, phoneNumber: { in: missing } } });
    for (const number of missing) cache.set(number, found.find((c) => c.phoneNumber === number) ?? null);
  }
  return wanted.flatMap((n) => (cache.get(n) ? [cache.get(n)!] : []));
}

interface Route {
  channel: { id: string; inboxId: string; phoneNumber: string };
  direction: Direction;
  customerNumber: string | null;
}

/** A session matters when a connected voice number is dialled (inbound) or dials out (outbound). */
async function findRoute(tx: Transaction, parties: TelephonyParty[]): Promise<Route | null> {
  const numbers = parties.flatMap((p) => [p.fromNumber, p.toNumber]).flatMap((n) => (n ? [toE164(n) ?? n] : []));
  if (numbers.length === 0) return null;
  const channels = await voiceChannels(tx, numbers);
  for (const party of parties) {
    const to = party.toNumber ? toE164(party.toNumber) : null;
    const from = party.fromNumber ? toE164(party.fromNumber) : null;
    const dialled = channels.find((c) => c.phoneNumber === to);
    if (dialled) return { channel: dialled, direction: "INBOUND", customerNumber: from };
    const dialling = channels.find((c) => c.phoneNumber === from);
    if (dialling) return { channel: dialling, direction: "OUTBOUND", customerNumber: to };
  }
  return null;
}

/**
 * An attended transfer's consultation call links to the original through `peerId` (REFERENCE
 * §3.2): it belongs where the original was routed, even though it dials no connected number (R3.8).
 */
async function routeOfPeer(tx: Transaction, parties: TelephonyParty[]): Promise<Route | null> {
  // The peer's first events may be committing right now: wait for them (their transaction holds the
  // peer's lock) rather than buffer this session with nothing left to route it later. The peer's
  // transaction only ever try-locks this one (routeWaitingPeers), so the two cannot deadlock.
  for (const peerId of new Set(parties.flatMap((p) => (p.peerTelephonySessionId ? [p.peerTelephonySessionId] : [])))) {
    await lockCallSession(tx, peerId);
  }
  const peer = await conversationOfPeer(tx, parties);
  const channel = peer?.channelId ? await tx.channel.findUnique({ where: { id: peer.channelId } }) : null;
  if (!peer || !channel) return null;
  return { channel, direction: peer.direction, customerNumber: peer.direction === "INBOUND" ? peer.fromNumber : peer.toNumber };
}

/**
 * Sessions buffered because the call they point at (by peerId) was not stored yet: now it is, so
 * they are routed into its conversation — cross-session order does not matter either (R3.14).
 */
async function routeWaitingPeers(tx: Transaction, log: EventLog, directory: CallDirectory, telephonySessionId: string) {
  const waiting = await tx.unroutedCallEvent.findMany({
    where: { payload: { path: ["party", "peerTelephonySessionId"], equals: telephonySessionId } },
    select: { telephonySessionId: true },
    distinct: ["telephonySessionId"],
  });
  for (const { telephonySessionId: peer } of waiting) {
    // Busy means its own transaction is applying it, and will find this call once we commit.
    if (!(await tryLockCallSession(tx, peer))) continue;
    if (await tx.call.findUnique({ where: { telephonySessionId: peer }, select: { id: true } })) continue;
    const buffered = await takeBuffered(tx, peer);
    const route = await routeOfPeer(tx, buffered.flatMap((n) => n.parties));
    if (!route) {
      for (const earlier of buffered) await bufferUnrouted(tx, earlier);
      continue;
    }
    const call = await createCall(tx, log, buffered, route, directory);
    await applyToCall(tx, log, directory, call, buffered);
  }
}

async function bufferUnrouted(tx: Transaction, notification: TelephonyNotification) {
  await tx.unroutedCallEvent.createMany({
    data: notification.parties.map((party) => ({
      telephonySessionId: notification.telephonySessionId,
      partyId: party.partyId,
      sequence: notification.sequence,
      payload: { party, eventTime: notification.eventTime.toISOString() } as unknown as Prisma.InputJsonValue,
    })),
    skipDuplicates: true,
  });
}

/** Party events of this session that arrived before it could be routed. */
async function takeBuffered(tx: Transaction, telephonySessionId: string): Promise<TelephonyNotification[]> {
  const rows = await tx.unroutedCallEvent.findMany({ where: { telephonySessionId } });
  if (rows.length === 0) return [];
  await tx.unroutedCallEvent.deleteMany({ where: { telephonySessionId } });
  return rows.map((row) => {
    const payload = row.payload as unknown as { party: TelephonyParty; eventTime: string };
    return { uuid: row.id, telephonySessionId, sequence: row.sequence, eventTime: new Date(payload.eventTime), parties: [payload.party] };
  });
}

async function userIdForExtension(tx: Transaction, directory: CallDirectory, extensionId: string | null): Promise<string | null> {
  const email = extensionId ? directory.extension(extensionId)?.email?.toLowerCase() : null;
  if (!email) return null;
  const cache = cacheOf(tx).userIdsByEmail;
  if (!cache.has(email)) cache.set(email, (await tx.user.findUnique({ where: { email }, select: { id: true } }))?.id ?? null);
  return cache.get(email)!;
}

type CallRow = Prisma.CallGetPayload<{ include: { parties: true; conversation: { include: { inboxes: { select: { inboxId: true } } } } } }>;

/** The call of a session this transaction holds the lock of (read once, then kept up to date by applyToCall). */
async function loadCall(tx: Transaction, telephonySessionId: string): Promise<CallRow | null> {
  const cache = cacheOf(tx).calls;
  const cached = cache.get(telephonySessionId);
  if (cached) return cached;
  const call = await tx.call.findUnique({
    where: { telephonySessionId },
    include: { parties: true, conversation: { include: { inboxes: { select: { inboxId: true } } } } },
  });
  if (!call) return null;
  // Calls of one conversation (a transfer's consultation call) share what is kept of it.
  const sibling = [...cache.values()].find((c) => c.conversationId === call.conversationId);
  if (sibling) call.conversation = sibling.conversation;
  cache.set(telephonySessionId, call);
  return call;
}

/** An attended transfer continues in a new session whose parties point at the old one. */
async function conversationOfPeer(tx: Transaction, parties: TelephonyParty[]) {
  const peers = parties.flatMap((p) => (p.peerTelephonySessionId ? [p.peerTelephonySessionId] : []));
  if (peers.length === 0) return null;
  const peer = await tx.call.findFirst({
    where: { telephonySessionId: { in: peers } },
    select: { conversationId: true, channelId: true, direction: true, fromNumber: true, toNumber: true },
  });
  return peer;
}

async function createCall(tx: Transaction, log: EventLog, batch: TelephonyNotification[], route: Route, directory: CallDirectory) {
  const notification = batch[batch.length - 1]!;
  const parties = batch.flatMap((n) => n.parties);
  const startedAt = new Date(Math.min(...batch.map((n) => n.eventTime.getTime())));
  const peer = await conversationOfPeer(tx, parties);
  const contact = route.customerNumber && toE164(route.customerNumber) ? await findOrCreateContactByNumber(tx, toE164(route.customerNumber)!) : null;
  const conversationId =
    peer?.conversationId ??
    (
      await openConversation(tx, log, {
        inboxIds: [route.channel.inboxId],
        channelId: route.channel.id,
        contactId: contact?.id,
        assigneeId:
          route.direction === "OUTBOUND"
            ? await userIdForExtension(tx, directory, parties.find((p) => p.direction === "Outbound" && p.extensionId)?.extensionId ?? null)
            : null,
      })
    ).id;
  await tx.call.create({
    data: {
      telephonySessionId: notification.telephonySessionId,
      conversationId,
      channelId: route.channel.id,
      direction: peer?.direction ?? route.direction,
      fromNumber: route.direction === "INBOUND" ? route.customerNumber : route.channel.phoneNumber,
      toNumber: route.direction === "INBOUND" ? route.channel.phoneNumber : route.customerNumber,
      createdAt: startedAt,
    },
  });
  return (await loadCall(tx, notification.telephonySessionId))!;
}

function toPartyState(row: CallRow["parties"][number]): PartyState {
  return {
    partyId: row.partyId,
    role: row.role as PartyRole,
    direction: row.direction === "INBOUND" ? "Inbound" : "Outbound",
    extensionId: row.extensionId,
    statusCode: row.statusCode,
    reason: row.reason,
    missedCall: row.missedCall,
    queueCall: row.queueCall,
    sequence: row.sequence,
    eventTime: row.eventTime,
    firstEventAt: row.firstEventAt,
    answeredAt: row.answeredAt,
    voicemailAt: row.voicemailAt,
    endedAt: row.endedAt,
  };
}

async function savePartyState(tx: Transaction, callId: string, state: PartyState, party: TelephonyParty) {
  const data = {
    role: state.role,
    direction: state.direction === "Inbound" ? ("INBOUND" as const) : ("OUTBOUND" as const),
    statusCode: state.statusCode,
    reason: state.reason,
    extensionId: state.extensionId,
    fromNumber: party.fromNumber,
    toNumber: party.toNumber,
    muted: party.muted,
    missedCall: state.missedCall,
    queueCall: state.queueCall,
    sequence: state.sequence,
    eventTime: state.eventTime,
    firstEventAt: state.firstEventAt,
    answeredAt: state.answeredAt,
    voicemailAt: state.voicemailAt,
    endedAt: state.endedAt,
  };
  return tx.callParty.upsert({ where: { callId_partyId: { callId, partyId: state.partyId } }, create: { callId, partyId: state.partyId, ...data }, update: data });
}

/** A transfer to another connected voice number threads the conversation into that inbox too (R3.7). */
async function joinTransferInboxes(tx: Transaction, log: EventLog, call: CallRow, parties: TelephonyParty[]) {
  const numbers = parties.flatMap((p) => (p.toNumber && toE164(p.toNumber) ? [toE164(p.toNumber)!] : []));
  if (numbers.length === 0) return;
  const channels = await voiceChannels(tx, numbers);
  const present = new Set(inboxIdsOf(call.conversation));
  for (const channel of channels.filter((c) => !present.has(c.inboxId))) {
    await tx.conversationInbox.create({ data: { conversationId: call.conversationId, inboxId: channel.inboxId } });
    present.add(channel.inboxId);
    log.append({
      type: "CONVERSATION_INBOX_ADDED",
      conversationId: call.conversationId,
      inboxIds: [...present],
      payload: { inboxId: channel.inboxId, callId: call.id },
    });
  }
  call.conversation.inboxes = [...present].map((inboxId) => ({ inboxId }));
}

export async function ingestTelephonyNotification(deps: Deps, directory: CallDirectory, notification: TelephonyNotification): Promise<IngestOutcome> {
  return (await ingestTelephonyNotifications(deps, directory, [notification]))[0]!;
}

/**
 * Applies a burst of notifications, in order, in one transaction: the same outcome, state and
 * events as applying them one by one, with one commit, one de-duplication insert, one round of
 * session locks and one event-log write for all of them. One failure rolls the whole burst back
 * (the caller can then apply them one by one).
 */
export async function ingestTelephonyNotifications(deps: Deps, directory: CallDirectory, notifications: TelephonyNotification[]): Promise<IngestOutcome[]> {
  if (notifications.length === 0) return [];
  return inTransaction(deps, async (tx, log) => {
    const fresh = await firstSightings(tx, notifications.map((n) => n.uuid));
    // Events of one session serialise; different sessions proceed in parallel.
    await lockCallSessions(tx, notifications.filter((n) => fresh.has(n.uuid)).map((n) => n.telephonySessionId));
    const outcomes: IngestOutcome[] = [];
    for (const notification of notifications) {
      if (!fresh.delete(notification.uuid)) outcomes.push("duplicate");
      else outcomes.push(await applyNotification(tx, log, directory, notification));
    }
    return outcomes;
  });
}

async function applyNotification(tx: Transaction, log: EventLog, directory: CallDirectory, notification: TelephonyNotification): Promise<IngestOutcome> {
  {
    let call = await loadCall(tx, notification.telephonySessionId);
    let batch = [notification];
    if (!call) {
      const buffered = await takeBuffered(tx, notification.telephonySessionId);
      const parties = [...buffered, notification].flatMap((n) => n.parties);
      const route = (await findRoute(tx, parties)) ?? (await routeOfPeer(tx, parties));
      if (!route) {
        for (const earlier of buffered) await bufferUnrouted(tx, earlier); // put back what was taken
        await bufferUnrouted(tx, notification);
        return "unrouted";
      }
      batch = [...buffered, notification];
      call = await createCall(tx, log, batch, route, directory);
    }
    await applyToCall(tx, log, directory, call, batch);
    await routeWaitingPeers(tx, log, directory, notification.telephonySessionId);
    return "applied";
  }
}

async function applyToCall(tx: Transaction, log: EventLog, directory: CallDirectory, call: CallRow, batch: TelephonyNotification[]) {
  const direction = call.direction as Direction;
  const states = new Map(call.parties.map((row) => [row.partyId, toPartyState(row)]));
  const before = deriveCall([...states.values()], direction);
  const mutedBefore = new Map(call.parties.map((row) => [row.partyId, row.muted]));
  let muteChanged = false;
  for (const notification of batch) {
    for (const party of notification.parties) {
      const next = applyPartyEvent(states.get(party.partyId) ?? null, toPartyEvent(party, notification, directory));
      states.set(party.partyId, next);
      const row = await savePartyState(tx, call.id, next, party);
      const at = call.parties.findIndex((p) => p.partyId === row.partyId);
      if (at >= 0) call.parties[at] = row;
      else call.parties.push(row);
      const applied = next.sequence === notification.sequence;
      if (applied && mutedBefore.has(party.partyId) && mutedBefore.get(party.partyId) !== party.muted) muteChanged = true;
      if (applied) mutedBefore.set(party.partyId, party.muted);
    }
  }
  await joinTransferInboxes(tx, log, call, batch.flatMap((n) => n.parties));
  await notePendingRecordings(tx, call, batch.flatMap((n) => n.parties));
  const after = await withVoicemail(tx, call.id, deriveCall([...states.values()], direction));
  await saveDerived(tx, log, directory, call, before, after, muteChanged);
}

/** A voicemail left on the call makes it a VOICEMAIL call even when the party event that said so
 * was lost (the message arrives separately, REFERENCE §3.3 D). */
async function withVoicemail(tx: Transaction, callId: string, derived: DerivedCall): Promise<DerivedCall> {
  if (derived.status !== "MISSED" && derived.status !== "ABANDONED") return derived;
  const voicemail = await tx.recording.count({ where: { callId, kind: "VOICEMAIL" } });
  return voicemail > 0 ? { ...derived, status: "VOICEMAIL" } : derived;
}

/** A recording RingCentral started is PENDING until the call log shows it (or shows none). */
async function notePendingRecordings(tx: Transaction, call: CallRow, parties: TelephonyParty[]) {
  const ids = [...new Set(parties.flatMap((p) => p.recordingIds ?? []))];
  if (ids.length === 0) return;
  await tx.recording.createMany({
    data: ids.map((ringCentralId) => ({ ringCentralId, kind: "CALL" as const, state: "PENDING" as const, callId: call.id })),
    skipDuplicates: true,
  });
}

const TERMINAL = new Set(["ENDED", "MISSED", "ABANDONED", "VOICEMAIL"]);

function callPayload(call: CallRow, derived: DerivedCall) {
  return {
    callId: call.id,
    telephonySessionId: call.telephonySessionId,
    status: derived.status,
    direction: call.direction,
    talkSeconds: derived.talkSeconds,
  };
}

async function saveDerived(
  tx: Transaction,
  log: EventLog,
  directory: CallDirectory,
  call: CallRow,
  before: DerivedCall,
  after: DerivedCall,
  muteChanged: boolean,
) {
  const answeredById = await userIdForExtension(tx, directory, after.answeredByExtensionId);
  const changed =
    muteChanged ||
    before.status !== after.status ||
    call.status !== after.status ||
    before.answeredByExtensionId !== after.answeredByExtensionId ||
    before.talkSeconds !== after.talkSeconds;
  const updated = await tx.call.update({
    where: { id: call.id },
    data: {
      status: after.status,
      queuedAt: after.queuedAt,
      answeredAt: after.answeredAt,
      endedAt: after.endedAt,
      talkSeconds: after.talkSeconds,
      answeredById,
    },
  });
  Object.assign(call, updated); // the scalar columns; parties and conversation stay as kept
  const inboxIds = inboxIdsOf(call.conversation);
  if (changed) {
    const now = new Date();
    await tx.conversationInbox.updateMany({ where: { conversationId: call.conversationId }, data: { lastActivityAt: now } });
    await tx.conversation.update({ where: { id: call.conversationId }, data: { lastActivityAt: now } });
    log.append({ type: "CALL_UPDATED", conversationId: call.conversationId, inboxIds, payload: callPayload(call, after) });
  }
  if (TERMINAL.has(after.status)) await recordCallEnded(tx, log, call, after, inboxIds);
  // Inbound: whoever answered; outbound: the agent who placed it (R3.3, R3.9).
  if (answeredById) {
    // Across every call of the conversation (transfers can span sessions, R3.8): whoever took it last.
    const holder = await userIdForExtension(tx, directory, await latestAnsweringExtension(tx, call.conversationId));
    if (holder) await assignToAnswerer(tx, log, call, holder, inboxIds);
  }
  await announceRinging(tx, log, directory, call, before, after, inboxIds);
  await updateBusyStatus(tx, log, directory, call, before, after);
}

/** One "call ended" timeline entry per call, kept in step with the derived state (R3.3). */
async function recordCallEnded(tx: Transaction, log: EventLog, call: CallRow, derived: DerivedCall, inboxIds: string[]) {
  const data = { callId: call.id, status: derived.status, talkSeconds: derived.talkSeconds } as Prisma.InputJsonValue;
  const existing = await tx.activity.findUnique({ where: { callId_type: { callId: call.id, type: "CALL_ENDED" } } });
  if (existing && JSON.stringify(existing.data) === JSON.stringify(data)) return;
  if (existing) await tx.activity.update({ where: { id: existing.id }, data: { data } });
  else await tx.activity.create({ data: { conversationId: call.conversationId, callId: call.id, type: "CALL_ENDED", data, createdAt: derived.endedAt ?? new Date() } });
  if (!existing) log.append({ type: "CONVERSATION_CALL_ENDED", conversationId: call.conversationId, inboxIds, payload: callPayload(call, derived) });
}

/**
 * The agent of the conversation's most recent answer: an inbound call's answering legs, or the
 * caller's own leg of an outbound one. Earliest-answer times do not depend on arrival order, so
 * neither does the result.
 */
async function latestAnsweringExtension(tx: Transaction, conversationId: string): Promise<string | null> {
  const party = await tx.callParty.findFirst({
    where: {
      role: "AGENT",
      answeredAt: { not: null },
      call: { conversationId },
      OR: [
        { direction: "INBOUND", call: { direction: "INBOUND" } },
        { direction: "OUTBOUND", call: { direction: "OUTBOUND" } },
      ],
    },
    orderBy: [{ answeredAt: "desc" }, { partyId: "desc" }],
    select: { extensionId: true },
  });
  return party?.extensionId ?? null;
}

/** Whoever answers (or picks up a transfer) owns the conversation (R3.3, R3.7). */
async function assignToAnswerer(tx: Transaction, log: EventLog, call: CallRow, userId: string, inboxIds: string[]) {
  const conversation = await tx.conversation.findUniqueOrThrow({ where: { id: call.conversationId }, select: { assigneeId: true } });
  if (conversation.assigneeId === userId) return;
  await tx.conversation.update({ where: { id: call.conversationId }, data: { assigneeId: userId } });
  const activity = await tx.activity.create({
    data: { conversationId: call.conversationId, type: "ASSIGNED", data: { assigneeId: userId, callId: call.id } },
  });
  log.append({
    type: "CONVERSATION_ASSIGNED",
    conversationId: call.conversationId,
    inboxIds,
    userIds: [userId],
    payload: { assigneeId: userId, callId: call.id, activityId: activity.id, actorId: null },
  });
}

/** Tells each newly rung agent, unless they muted the banner (R3.2, R6.5). */
async function announceRinging(
  tx: Transaction,
  log: EventLog,
  directory: CallDirectory,
  call: CallRow,
  before: DerivedCall,
  after: DerivedCall,
  inboxIds: string[],
) {
  for (const extensionId of after.ringingExtensionIds.filter((id) => !before.ringingExtensionIds.includes(id))) {
    const userId = await userIdForExtension(tx, directory, extensionId);
    if (!userId) continue;
    const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { muteIncomingCallBanner: true } });
    if (user.muteIncomingCallBanner) continue;
    log.append({
      type: "INCOMING_CALL",
      conversationId: call.conversationId,
      userIds: [userId],
      payload: { callId: call.id, extensionId, fromNumber: call.fromNumber, inboxIds },
    });
  }
}

/** Agents on a call are BUSY; they return to their previous status when their last call ends (R3.13). */
async function updateBusyStatus(tx: Transaction, log: EventLog, directory: CallDirectory, call: CallRow, before: DerivedCall, after: DerivedCall) {
  const joined = after.connectedExtensionIds.filter((id) => !before.connectedExtensionIds.includes(id));
  const left = before.connectedExtensionIds.filter((id) => !after.connectedExtensionIds.includes(id));
  for (const extensionId of joined) {
    const userId = await userIdForExtension(tx, directory, extensionId);
    if (userId) await becomeBusy(tx, log, userId);
  }
  for (const extensionId of left) {
    const userId = await userIdForExtension(tx, directory, extensionId);
    const stillOnACall = await tx.callParty.count({
      where: { extensionId, endedAt: null, answeredAt: { not: null }, callId: { not: call.id }, call: { endedAt: null } },
    });
    if (userId && stillOnACall === 0) await endBusy(tx, log, userId);
  }
}

async function statusEvent(tx: Transaction, log: EventLog, userId: string, status: string, previousStatus: string) {
  const memberships = await tx.inboxMember.findMany({ where: { userId }, select: { inboxId: true } });
  log.append({
    type: "AGENT_STATUS_CHANGED",
    userIds: [userId],
    inboxIds: memberships.map((m) => m.inboxId),
    payload: { userId, status, previousStatus, automatic: true },
  });
}

async function becomeBusy(tx: Transaction, log: EventLog, userId: string) {
  const user = await tx.user.findUniqueOrThrow({ where: { id: userId } });
  if (user.status === "BUSY") return;
  await tx.user.update({ where: { id: userId }, data: { status: "BUSY", statusBeforeCall: user.status } });
  await statusEvent(tx, log, userId, "BUSY", user.status);
}

async function endBusy(tx: Transaction, log: EventLog, userId: string) {
  const user = await tx.user.findUniqueOrThrow({ where: { id: userId } });
  if (user.status !== "BUSY" || !user.statusBeforeCall) return;
  await tx.user.update({ where: { id: userId }, data: { status: user.statusBeforeCall, statusBeforeCall: null } });
  await statusEvent(tx, log, userId, user.statusBeforeCall, "BUSY");
}
