// Voice call ingest (R3): a RingCentral telephony notification becomes call, party, conversation,
// assignment, busy-status and timeline changes in one transaction, with its events. Idempotent by
// notification uuid; order-insensitive through call-state.ts.
import { randomUUID } from "node:crypto";
import {
  applyPartyEvent,
  deriveCall,
  type DerivedCall,
  type Direction,
  type PartyEvent,
  type PartyRole,
} from "./call-state.ts";
import { isOutcome, moreSpecific, settledStatus, settleWithCallLog } from "./call-outcomes.ts";
import {
  toPartyRow,
  toPartyState,
  type CallState,
  type ChannelRow,
  type ConversationState,
  type UserState,
} from "./call-ingest-state.ts";
import type { CallDirectory, TelephonyNotification, TelephonyParty } from "./telephony.ts";
import { conversationCreatedEvent } from "./conversations.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "./event-log.ts";
import type { EventPayloads } from "./events.ts";
import { regionOf, toE164 } from "./phone-numbers.ts";
import { CallIngestStore, LiveLegsNotLoaded } from "../store/call-ingest/call-ingest-store.ts";
import { recordFirstSightingsLocking } from "../store/call-ingest/first-sightings.ts";

export type { CallDirectory, ExtensionInfo, TelephonyNotification, TelephonyParty } from "./telephony.ts";

/** The `data` of a CALL_ENDED timeline activity. */
export type CallEndedData = Pick<EventPayloads["CONVERSATION_CALL_ENDED"], "callId" | "status" | "talkSeconds">;

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

function toPartyEvent(
  party: TelephonyParty,
  notification: TelephonyNotification,
  directory: CallDirectory,
): PartyEvent {
  return {
    partyId: party.partyId,
    role: roleOf(party, directory),
    direction: party.direction,
    extensionId: party.extensionId,
    statusCode: party.statusCode,
    reason: party.reason,
    fromNumber: party.fromNumber,
    toNumber: party.toNumber,
    muted: party.muted,
    missedCall: party.missedCall,
    queueCall: party.queueCall,
    sequence: notification.sequence,
    eventTime: notification.eventTime,
  };
}

/** The notifications' uuids not seen before, with the locks of every session they name (peers too). */
function firstSightingsLocking(tx: Transaction, notifications: TelephonyNotification[]): Promise<Set<string>> {
  const sessions = notifications.flatMap((n) => [
    n.telephonySessionId,
    ...n.parties.flatMap((p) => (p.peerTelephonySessionId ? [p.peerTelephonySessionId] : [])),
  ]);
  return recordFirstSightingsLocking(
    tx,
    notifications.map((n) => n.uuid),
    sessions,
  );
}

export async function ingestTelephonyNotification(
  deps: Deps,
  directory: CallDirectory,
  notification: TelephonyNotification,
): Promise<IngestOutcome> {
  return (await ingestTelephonyNotifications(deps, directory, [notification]))[0]!;
}

/**
 * Applies a burst of notifications, in order, in one transaction: the same outcome, state and
 * events as applying them one by one, with one commit and a fixed number of statements for the
 * whole burst (store/call-ingest reads up front and writes set-wise). One failure rolls the
 * whole burst back (the caller can then apply them one by one).
 */
export async function ingestTelephonyNotifications(
  deps: Deps,
  directory: CallDirectory,
  notifications: TelephonyNotification[],
): Promise<IngestOutcome[]> {
  if (notifications.length === 0) return [];
  try {
    return await applyBurst(deps, directory, notifications);
  } catch (error) {
    if (!(error instanceof LiveLegsNotLoaded)) throw error;
    return applyBurst(deps, directory, notifications, { liveLegs: true });
  }
}

/**
 * `ingestTelephonyNotifications`, and if the burst fails, each notification on its own, so that a
 * bad one fails alone (with its own error) and the others are applied. One result per
 * notification; `onBurstFailed` hears why the burst was split.
 */
export async function ingestTelephonyNotificationsEach(
  deps: Deps,
  directory: CallDirectory,
  notifications: TelephonyNotification[],
  onBurstFailed: (error: unknown) => void,
): Promise<PromiseSettledResult<IngestOutcome>[]> {
  try {
    const outcomes = await ingestTelephonyNotifications(deps, directory, notifications);
    return outcomes.map((value) => ({ status: "fulfilled", value }));
  } catch (error) {
    if (notifications.length === 1) return [{ status: "rejected", reason: error }];
    onBurstFailed(error);
    const results: PromiseSettledResult<IngestOutcome>[] = [];
    for (const notification of notifications) {
      results.push(
        await ingestTelephonyNotification(deps, directory, notification).then(
          (value) => ({ status: "fulfilled", value }) as const,
          (reason: unknown) => ({ status: "rejected", reason }) as const,
        ),
      );
    }
    return results;
  }
}

async function applyBurst(
  deps: Deps,
  directory: CallDirectory,
  notifications: TelephonyNotification[],
  options: { liveLegs?: boolean } = {},
) {
  return inTransaction(deps, async (tx, log) => {
    const fresh = await firstSightingsLocking(tx, notifications);
    const store = await CallIngestStore.load(
      tx,
      directory,
      notifications.filter((n) => fresh.has(n.uuid)),
      options,
    );
    const ingest = new CallIngest(store, log, directory);
    const outcomes = notifications.map((n): IngestOutcome => (fresh.delete(n.uuid) ? ingest.apply(n) : "duplicate"));
    await store.flush();
    return outcomes;
  });
}

interface Route {
  channel: ChannelRow;
  direction: Direction;
  customerNumber: string | null;
}

const TERMINAL = new Set(["ENDED", "MISSED", "ABANDONED", "VOICEMAIL"]);

/** Applies notifications to what the store holds, in memory, appending their events. */
class CallIngest {
  constructor(
    private readonly store: CallIngestStore,
    private readonly log: EventLog,
    private readonly directory: CallDirectory,
  ) {}

  apply(notification: TelephonyNotification): IngestOutcome {
    let call = this.store.call(notification.telephonySessionId);
    let batch = [notification];
    const created = !call;
    if (!call) {
      const buffered = this.store.takeBuffered(notification.telephonySessionId);
      batch = [...buffered.notifications, notification];
      const parties = batch.flatMap((n) => n.parties);
      const route = this.findRoute(parties) ?? this.routeOfPeer(parties);
      if (!route) {
        buffered.putBack();
        this.store.buffer(notification);
        return "unrouted";
      }
      call = this.createCall(batch, route);
    }
    this.applyToCall(call, batch, created);
    this.routeWaitingPeers(notification.telephonySessionId);
    return "applied";
  }

  /** A session matters when a connected voice number is dialled (inbound) or dials out (outbound). */
  private findRoute(parties: TelephonyParty[]): Route | null {
    const numbers = parties.flatMap((p) => [p.fromNumber, p.toNumber]).flatMap((n) => (n ? [toE164(n) ?? n] : []));
    const channels = this.store.voiceChannels(numbers);
    for (const party of parties) {
      const to = party.toNumber ? toE164(party.toNumber) : null;
      const from = party.fromNumber ? toE164(party.fromNumber) : null;
      const dialled = channels.find((c) => c.phoneNumber === to);
      // The customer's number as given: createCall reads it in the channel's region.
      if (dialled) return { channel: dialled, direction: "INBOUND", customerNumber: party.fromNumber };
      const dialling = channels.find((c) => c.phoneNumber === from);
      if (dialling) return { channel: dialling, direction: "OUTBOUND", customerNumber: party.toNumber };
    }
    return null;
  }

  /** An attended transfer continues in a new session whose parties point at the old one (peerId, REFERENCE §3.2). */
  private peerCall(parties: TelephonyParty[]): CallState | null {
    for (const party of parties) {
      const peer = party.peerTelephonySessionId ? this.store.call(party.peerTelephonySessionId) : undefined;
      if (peer) return peer;
    }
    return null;
  }

  /** A consultation call belongs where the original was routed, though it dials no connected number (R3.8). */
  private routeOfPeer(parties: TelephonyParty[]): Route | null {
    const peer = this.peerCall(parties);
    if (!peer?.channel) return null;
    return {
      channel: peer.channel,
      direction: peer.direction,
      customerNumber: peer.direction === "INBOUND" ? peer.fromNumber : peer.toNumber,
    };
  }

  /**
   * Sessions buffered because the call they point at (by peerId) was not stored yet: now it is, so
   * they are routed into its conversation — cross-session order does not matter either (R3.14).
   */
  private routeWaitingPeers(telephonySessionId: string): void {
    for (const waiting of this.store.takeWaiting(telephonySessionId)) {
      const buffered = this.store.takeBuffered(waiting);
      const route = this.routeOfPeer(buffered.notifications.flatMap((n) => n.parties));
      if (!route) {
        buffered.putBack();
        continue;
      }
      this.applyToCall(this.createCall(buffered.notifications, route), buffered.notifications, true);
    }
  }

  private createCall(batch: TelephonyNotification[], route: Route): CallState {
    const parties = batch.flatMap((n) => n.parties);
    const peer = this.peerCall(parties);
    // Read in the channel's country: a national number on a UK line is a UK number (null when not a number).
    const customer = route.customerNumber ? toE164(route.customerNumber, regionOf(route.channel.phoneNumber)) : null;
    const conversation = peer
      ? this.store.conversation(peer.conversationId)
      : this.openConversation(route, customer ? this.store.contactFor(customer) : null, parties);
    return this.store.createCall({
      telephonySessionId: batch[batch.length - 1]!.telephonySessionId,
      conversation,
      channel: route.channel,
      direction: peer?.direction ?? route.direction,
      fromNumber: route.direction === "INBOUND" ? customer : route.channel.phoneNumber,
      toNumber: route.direction === "INBOUND" ? route.channel.phoneNumber : customer,
      createdAt: new Date(Math.min(...batch.map((n) => n.eventTime.getTime()))),
    });
  }

  private openConversation(route: Route, contactId: string | null, parties: TelephonyParty[]): ConversationState {
    // Outbound: the agent who placed it (R3.9).
    const caller =
      route.direction === "OUTBOUND"
        ? this.store.user(parties.find((p) => p.direction === "Outbound" && p.extensionId)?.extensionId ?? null)
        : null;
    const conversation = this.store.openConversation({
      inboxId: route.channel.inboxId,
      channelId: route.channel.id,
      contactId,
      assigneeId: caller?.id ?? null,
    });
    this.log.append(
      conversationCreatedEvent({
        id: conversation.id,
        inboxIds: conversation.inboxIds,
        channelId: route.channel.id,
        contactId,
      }),
    );
    return conversation;
  }

  /** `created`: the call was stored just now, so its first state is news even if it is the state a
   * new call starts in (RINGING). */
  private applyToCall(call: CallState, batch: TelephonyNotification[], created: boolean): void {
    const direction = call.direction;
    const states = new Map(call.parties.map((row) => [row.partyId, toPartyState(row)]));
    const before = shownCall(call, deriveCall([...states.values()], direction));
    const callLog = batch.find((n) => n.callLog)?.callLog;
    // Reconciliation settles the outcome with what the call shows before the record's facts apply…
    if (callLog) call.settledStatus = settleWithCallLog(call.status, call.settledStatus, callLog.outcome);
    const mutedBefore = new Map(call.parties.map((row) => [row.partyId, row.muted]));
    let muteChanged = false;
    for (const notification of batch) {
      for (const party of notification.parties) {
        const next = applyPartyEvent(
          states.get(party.partyId) ?? null,
          toPartyEvent(party, notification, this.directory),
        );
        states.set(party.partyId, next);
        this.store.saveParty(call, toPartyRow(next));
        const applied = next.sequence === notification.sequence;
        if (applied && mutedBefore.has(party.partyId) && mutedBefore.get(party.partyId) !== party.muted)
          muteChanged = true;
        if (applied) mutedBefore.set(party.partyId, party.muted);
      }
    }
    const parties = batch.flatMap((n) => n.parties);
    this.joinTransferInboxes(call, parties);
    this.store.notePendingRecordings(call.id, [...new Set(parties.flatMap((p) => p.recordingIds ?? []))]);
    const derived = deriveCall([...states.values()], direction);
    // …and with what they show once applied (call-reconciliation.ts flags a record's first and last notifications).
    if (callLog)
      call.settledStatus = settleWithCallLog(shownCall(call, derived).status, call.settledStatus, callLog.outcome);
    const after = shownCall(call, derived);
    this.saveDerived(call, before, after, created || muteChanged);
  }

  /** A transfer to another connected voice number threads the conversation into that inbox too (R3.7). */
  private joinTransferInboxes(call: CallState, parties: TelephonyParty[]): void {
    const numbers = parties.flatMap((p) => (p.toNumber && toE164(p.toNumber) ? [toE164(p.toNumber)!] : []));
    const conversation = call.conversation;
    for (const channel of this.store.voiceChannels(numbers)) {
      if (conversation.inboxIds.includes(channel.inboxId)) continue;
      this.store.addInbox(conversation, channel.inboxId);
      this.log.append({
        type: "CONVERSATION_INBOX_ADDED",
        conversationId: conversation.id,
        inboxIds: [...conversation.inboxIds],
        payload: { inboxId: channel.inboxId, callId: call.id },
      });
    }
  }

  /** `news`: something the derived state does not show changed (the call is new, a party's mute). */
  private saveDerived(call: CallState, before: DerivedCall, after: DerivedCall, news: boolean): void {
    const answeredBy = this.store.user(after.answeredByExtensionId);
    const changed =
      news ||
      before.status !== after.status ||
      call.status !== after.status ||
      before.answeredByExtensionId !== after.answeredByExtensionId ||
      before.talkSeconds !== after.talkSeconds;
    Object.assign(call, {
      status: after.status,
      queuedAt: after.queuedAt,
      answeredAt: after.answeredAt,
      endedAt: after.endedAt,
      talkSeconds: after.talkSeconds,
      answeredById: answeredBy?.id ?? null,
    });
    this.store.saveCall(call);
    const inboxIds = [...call.conversation.inboxIds];
    if (changed) {
      this.store.touchConversation(call.conversationId, new Date());
      this.log.append({
        type: "CALL_UPDATED",
        conversationId: call.conversationId,
        inboxIds,
        payload: callPayload(call, after),
      });
    }
    if (TERMINAL.has(after.status)) this.recordCallEnded(call, after, inboxIds);
    // Inbound: whoever answered; outbound: the agent who placed it (R3.3, R3.9).
    if (answeredBy) {
      // Across every call of the conversation (transfers can span sessions, R3.8): whoever took it last.
      const holder = this.store.user(this.latestAnsweringExtension(call.conversation));
      if (holder) this.assignToAnswerer(call, holder.id, inboxIds);
    }
    this.announceRinging(call, before, after, inboxIds);
    this.updateBusyStatus(call, before, after);
  }

  /** One "call ended" timeline entry per call, kept in step with the derived state (R3.3). */
  private recordCallEnded(call: CallState, derived: DerivedCall, inboxIds: string[]): void {
    const data: CallEndedData = { callId: call.id, status: derived.status, talkSeconds: derived.talkSeconds };
    const existing = call.conversation.callEnded.get(call.id);
    if (existing && JSON.stringify(existing.data) === JSON.stringify(data)) return;
    const change = this.store.setCallEnded(call.conversation, call.id, data, derived.endedAt ?? new Date());
    if (change === "created")
      this.log.append({
        type: "CONVERSATION_CALL_ENDED",
        conversationId: call.conversationId,
        inboxIds,
        payload: callPayload(call, derived),
      });
  }

  /**
   * The agent of the conversation's most recent answer: an inbound call's answering legs, or the
   * caller's own leg of an outbound one. Earliest-answer times do not depend on arrival order, so
   * neither does the result.
   */
  private latestAnsweringExtension(conversation: ConversationState): string | null {
    const held = this.store.callsOf(conversation.id);
    const heldIds = new Set(held.map((c) => c.id));
    const answers = [
      ...held.flatMap((c) =>
        c.parties
          .filter((p) => p.role === "AGENT" && p.answeredAt && p.direction === c.direction)
          .map((p) => ({ extensionId: p.extensionId, partyId: p.partyId, answeredAt: p.answeredAt! })),
      ),
      ...conversation.storedAnswers.filter((a) => !heldIds.has(a.callId)),
    ];
    const latest = answers.reduce<(typeof answers)[number] | null>((best, a) => {
      if (!best) return a;
      const order =
        a.answeredAt.getTime() - best.answeredAt.getTime() ||
        (a.partyId > best.partyId ? 1 : a.partyId < best.partyId ? -1 : 0);
      return order > 0 ? a : best;
    }, null);
    return latest?.extensionId ?? null;
  }

  /** Whoever answers (or picks up a transfer) owns the conversation (R3.3, R3.7). */
  private assignToAnswerer(call: CallState, userId: string, inboxIds: string[]): void {
    if (call.conversation.assigneeId === userId) return;
    this.store.assign(call.conversation, userId);
    const activityId = randomUUID();
    this.store.addActivity({
      id: activityId,
      conversationId: call.conversationId,
      type: "ASSIGNED",
      data: { assigneeId: userId, callId: call.id },
      createdAt: new Date(),
    });
    this.log.append({
      type: "CONVERSATION_ASSIGNED",
      conversationId: call.conversationId,
      inboxIds,
      userIds: [userId],
      payload: { assigneeId: userId, callId: call.id, activityId, actorId: null },
    });
  }

  /** Tells each newly rung agent, unless they muted the banner (R3.2, R6.5). */
  private announceRinging(call: CallState, before: DerivedCall, after: DerivedCall, inboxIds: string[]): void {
    for (const extensionId of after.ringingExtensionIds.filter((id) => !before.ringingExtensionIds.includes(id))) {
      const user = this.store.user(extensionId);
      if (!user || user.muteIncomingCallBanner) continue;
      this.log.append({
        type: "INCOMING_CALL",
        conversationId: call.conversationId,
        userIds: [user.id],
        payload: { callId: call.id, extensionId, fromNumber: call.fromNumber, inboxIds },
      });
    }
  }

  /** Agents on a call are BUSY; they return to their previous status when their last call ends (R3.13). */
  private updateBusyStatus(call: CallState, before: DerivedCall, after: DerivedCall): void {
    for (const extensionId of after.connectedExtensionIds.filter((id) => !before.connectedExtensionIds.includes(id))) {
      const user = this.store.user(extensionId);
      if (user && user.status !== "BUSY") this.changeStatus(user, "BUSY", user.status);
    }
    for (const extensionId of before.connectedExtensionIds.filter((id) => !after.connectedExtensionIds.includes(id))) {
      const user = this.store.user(extensionId);
      if (!user || this.store.onAnotherCall(extensionId, call.id)) continue;
      if (user.status === "BUSY" && user.statusBeforeCall) this.changeStatus(user, user.statusBeforeCall, null);
    }
  }

  private changeStatus(
    user: UserState,
    status: UserState["status"],
    statusBeforeCall: UserState["status"] | null,
  ): void {
    const previousStatus = user.status;
    this.store.setUserStatus(user, status, statusBeforeCall);
    this.log.append({
      type: "AGENT_STATUS_CHANGED",
      userIds: [user.id],
      inboxIds: user.inboxIds,
      payload: { userId: user.id, status, previousStatus, automatic: true },
    });
  }
}

/**
 * What the call shows: its parties' state, made VOICEMAIL by a voicemail left on it even when the
 * party event that said so was lost (the message arrives separately, REFERENCE §3.3 D), and never
 * less specific than the outcome settled by reconciliation (call-outcomes.ts).
 */
function shownCall(call: CallState, derived: DerivedCall): DerivedCall {
  const voicemail =
    call.voicemails > 0 && isOutcome(derived.status) ? moreSpecific(derived.status, "VOICEMAIL") : derived.status;
  const status = settledStatus(voicemail, call.settledStatus);
  return status === derived.status ? derived : { ...derived, status };
}

function callPayload(call: CallState, derived: DerivedCall) {
  return {
    callId: call.id,
    telephonySessionId: call.telephonySessionId,
    status: derived.status,
    direction: call.direction,
    talkSeconds: derived.talkSeconds,
  };
}
