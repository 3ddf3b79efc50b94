// What one call-ingest transaction reads and writes, set-wise. Everything a burst of telephony
// notifications can need is read up front in a handful of statements (load.ts: calls with their
// parties and conversations, buffered events, voice channels, users, contacts, other calls' live
// legs); the burst is then applied in memory, notification by notification, exactly as one by one
// would; and what changed is written at the end in one statement (write.ts).
import { randomUUID } from "node:crypto";
import type { Prisma } from "../../generated/prisma/client.ts";
import { legStaysOn } from "../../domain/call-state.ts";
import type { CallState, ChannelRow, ConversationState, PartyRow, UserState } from "../../domain/call-ingest-state.ts";
import type { CallDirectory, TelephonyNotification, TelephonyParty } from "../../domain/telephony.ts";
import { regionOf, toE164 } from "../../domain/phone-numbers.ts";
import { lockCallSessions, tryLockCallSessions } from "../locks.ts";
import {
  loadBufferedEvents,
  loadContactPhones,
  loadLiveLegsElsewhere,
  loadStoredCalls,
  loadUsersByEmail,
  loadVoiceChannels,
} from "./load.ts";
import { writeBurstChanges } from "./write.ts";

type Transaction = Prisma.TransactionClient;
type AgentStatus = UserState["status"];

/** A notification kept because its session could not be routed yet; `rowIds` once it is stored. */
interface Buffered {
  notification: TelephonyNotification;
  rowIds: string[];
}

const givenNumbersOf = (parties: TelephonyParty[]) =>
  parties.flatMap((p) => [p.fromNumber, p.toNumber]).flatMap((n) => (n ? [n] : []));
const numbersOf = (parties: TelephonyParty[]) => givenNumbersOf(parties).map((n) => toE164(n) ?? n);
const peersOf = (parties: TelephonyParty[]) =>
  parties.flatMap((p) => (p.peerTelephonySessionId ? [p.peerTelephonySessionId] : []));

/** A burst did need other calls' live legs after all: apply it again with them loaded. */
export class LiveLegsNotLoaded extends Error {
  constructor() {
    super("other calls' live legs were not loaded for this burst");
  }
}

export class CallIngestStore {
  private liveLegsLoaded = true;
  private readonly calls = new Map<string, CallState>();
  private readonly conversations = new Map<string, ConversationState>();
  private readonly buffered = new Map<string, Buffered[]>();
  /** Sessions buffered because their peer (the key) was not stored yet, whose locks we hold. */
  private readonly waiting = new Map<string, Set<string>>();
  private readonly channelsByNumber = new Map<string, ChannelRow>();
  private readonly usersByEmail = new Map<string, UserState>();
  private readonly contactsByNumber = new Map<string, string>();
  /** Live answered legs of calls outside this burst: extension → call ids. */
  private readonly liveElsewhere = new Map<string, Set<string>>();

  // What to write at the end.
  private readonly newContacts: { id: string; e164: string }[] = [];
  private readonly newConversations = new Map<
    string,
    { channelId: string | null; contactId: string | null; createdAt: Date }
  >();
  private readonly newConversationInboxes: { conversationId: string; inboxId: string }[] = [];
  private readonly newCalls = new Set<string>();
  private readonly changedCalls = new Set<CallState>();
  private readonly newParties = new Set<PartyRow>();
  private readonly changedParties = new Set<PartyRow>();
  private readonly touched = new Map<string, Date>();
  private readonly reassigned = new Set<ConversationState>();
  private readonly newActivities: Prisma.ActivityCreateManyInput[] = [];
  private readonly changedActivities = new Map<string, unknown>();
  private readonly changedUsers = new Set<UserState>();
  private readonly pendingRecordings: { ringCentralId: string; callId: string }[] = [];
  private readonly routedRowIds = new Set<string>();

  private constructor(
    private readonly tx: Transaction,
    private readonly directory: CallDirectory,
  ) {}

  /** Reads what applying the notifications can need. The transaction holds the locks of their
   * sessions and of the sessions they point at (peers). */
  static async load(
    tx: Transaction,
    directory: CallDirectory,
    notifications: TelephonyNotification[],
    options: { liveLegs?: boolean } = {},
  ): Promise<CallIngestStore> {
    const store = new CallIngestStore(tx, directory);
    // Other calls' live legs only matter when an agent leaves a call (are they still on another?).
    store.liveLegsLoaded =
      options.liveLegs ?? notifications.some((n) => n.parties.some((p) => !legStaysOn(p.statusCode)));
    const parties = notifications.flatMap((n) => n.parties);
    const sessions = [...new Set(notifications.map((n) => n.telephonySessionId))];
    await store.loadCalls([...sessions, ...peersOf(parties)]);
    const missing = sessions.filter((s) => !store.calls.has(s));
    if (missing.length > 0) await store.loadBuffered(missing);
    const allParties = [...parties, ...[...store.buffered.values()].flat().flatMap((b) => b.notification.parties)];
    await store.loadChannels(numbersOf(allParties));
    await store.loadUsers(allParties);
    if (missing.length > 0) await store.loadContacts(givenNumbersOf(allParties));
    return store;
  }

  /** The stored calls of these sessions that the store does not hold yet. */
  private async loadCalls(telephonySessionIds: string[]): Promise<void> {
    const wanted = [...new Set(telephonySessionIds)].filter((s) => !this.calls.has(s));
    if (wanted.length === 0) return;
    for (const stored of await loadStoredCalls(this.tx, wanted)) {
      const { call, channel, parties, voicemails } = stored;
      let conversation = this.conversations.get(call.conversationId);
      if (!conversation) {
        conversation = {
          id: call.conversationId,
          assigneeId: stored.conversation.assigneeId,
          inboxIds: stored.conversation.inboxIds,
          callEnded: new Map(stored.conversation.callEnded.map((a) => [a.callId, { id: a.id, data: a.data }])),
          storedAnswers: stored.conversation.answers,
        };
        this.conversations.set(call.conversationId, conversation);
      }
      this.calls.set(call.telephonySessionId, { ...call, channel, parties, voicemails, conversation });
    }
  }

  /**
   * Buffered events of the sessions without a call, and of sessions buffered waiting for one of
   * them (an attended transfer's consultation call that arrived first): those are routed when
   * their peer is stored in this burst. Their locks are only tried — busy means their own
   * transaction is applying them and will find the peer once this one commits — so two
   * transactions never wait for each other.
   */
  private async loadBuffered(missing: string[]): Promise<void> {
    const rows = await loadBufferedEvents(this.tx, missing);
    const own = new Set(missing);
    const others = [...new Set(rows.map((r) => r.telephonySessionId).filter((s) => !own.has(s)))];
    const lockedOthers = new Set(await tryLockCallSessions(this.tx, others));
    const kept = rows.filter((r) => own.has(r.telephonySessionId) || lockedOthers.has(r.telephonySessionId));
    for (const row of kept) {
      const notification = {
        uuid: row.id,
        telephonySessionId: row.telephonySessionId,
        sequence: row.sequence,
        eventTime: new Date(row.payload.eventTime),
        parties: [row.payload.party],
      };
      this.keepBuffered({ notification, rowIds: [row.id] });
    }
    // Peers named only by buffered events, and whether the other sessions got a call meanwhile.
    const newPeers = peersOf(kept.map((r) => r.payload.party)).filter((p) => !this.calls.has(p));
    await lockCallSessions(
      this.tx,
      newPeers.filter((p) => !own.has(p) && !lockedOthers.has(p)),
    );
    await this.loadCalls([...newPeers, ...lockedOthers]);
  }

  private async loadChannels(numbers: string[]): Promise<void> {
    const wanted = [...new Set(numbers)];
    if (wanted.length === 0) return;
    for (const row of await loadVoiceChannels(this.tx, wanted)) this.channelsByNumber.set(row.phoneNumber, row);
  }

  private emailOf(extensionId: string | null): string | null {
    return (extensionId ? this.directory.extension(extensionId)?.email?.toLowerCase() : null) ?? null;
  }

  /** Users of every extension this burst can touch, and the live legs they have on other calls. */
  private async loadUsers(parties: TelephonyParty[]): Promise<void> {
    const extensions = new Set(parties.map((p) => p.extensionId));
    for (const call of this.calls.values()) for (const party of call.parties) extensions.add(party.extensionId);
    for (const conversation of this.conversations.values()) {
      for (const answer of conversation.storedAnswers) extensions.add(answer.extensionId);
    }
    const emails = [...new Set([...extensions].flatMap((e) => this.emailOf(e) ?? []))];
    if (emails.length === 0) return;
    for (const { email, ...user } of await loadUsersByEmail(this.tx, emails)) this.usersByEmail.set(email, user);
    const agentExtensions = [...extensions].filter(
      (e): e is string => !!e && this.usersByEmail.has(this.emailOf(e) ?? ""),
    );
    if (agentExtensions.length === 0 || !this.liveLegsLoaded) return;
    const live = await loadLiveLegsElsewhere(this.tx, agentExtensions, [...this.calls.keys()]);
    for (const { callId, extensionId } of live) {
      const calls = this.liveElsewhere.get(extensionId) ?? new Set<string>();
      calls.add(callId);
      this.liveElsewhere.set(extensionId, calls);
    }
  }

  /** Contacts of the numbers as a new call can read them: in the installation's region, or in the
   * region of a channel it may be routed to (a dialled number's, or a peer call's). */
  private async loadContacts(numbers: string[]): Promise<void> {
    const channelNumbers = [
      ...this.channelsByNumber.keys(),
      ...[...this.calls.values()].flatMap((c) => (c.channel ? [c.channel.phoneNumber] : [])),
    ];
    const regions = [...new Set(channelNumbers.map(regionOf))];
    const e164s = [
      ...new Set(numbers.flatMap((n) => [toE164(n) ?? [], ...regions.map((r) => toE164(n, r) ?? [])].flat())),
    ];
    if (e164s.length === 0) return;
    for (const phone of await loadContactPhones(this.tx, e164s)) this.contactsByNumber.set(phone.e164, phone.contactId);
  }

  // --- reads, in memory ---

  call(telephonySessionId: string): CallState | undefined {
    return this.calls.get(telephonySessionId);
  }

  /** Connected voice channels with these numbers, in the order asked. */
  voiceChannels(numbers: string[]): ChannelRow[] {
    return [...new Set(numbers)].flatMap((n) => this.channelsByNumber.get(n) ?? []);
  }

  user(extensionId: string | null): UserState | null {
    const email = this.emailOf(extensionId);
    return (email && this.usersByEmail.get(email)) || null;
  }

  /** Calls of a conversation this burst holds. */
  callsOf(conversationId: string): CallState[] {
    return [...this.calls.values()].filter((c) => c.conversationId === conversationId);
  }

  /** Whether the extension has an answered, live leg on a call other than `callId`. */
  onAnotherCall(extensionId: string, callId: string): boolean {
    if (!this.liveLegsLoaded) throw new LiveLegsNotLoaded();
    for (const other of this.liveElsewhere.get(extensionId) ?? []) if (other !== callId) return true;
    for (const call of this.calls.values()) {
      if (call.id === callId || call.endedAt) continue;
      if (call.parties.some((p) => p.extensionId === extensionId && !p.endedAt && p.answeredAt)) return true;
    }
    return false;
  }

  // --- buffered (unrouted) events ---

  private bufferedOf(telephonySessionId: string): Buffered[] {
    let list = this.buffered.get(telephonySessionId);
    if (!list) {
      list = [];
      this.buffered.set(telephonySessionId, list);
    }
    return list;
  }

  private waitingOn(telephonySessionId: string): Set<string> {
    let set = this.waiting.get(telephonySessionId);
    if (!set) {
      set = new Set();
      this.waiting.set(telephonySessionId, set);
    }
    return set;
  }

  /** Keeps a notification of a session that cannot be routed yet (stored at the end). */
  buffer(notification: TelephonyNotification): void {
    this.keepBuffered({ notification, rowIds: [] });
  }

  /** A buffered session waits for the sessions its parties point at: it is routed when one is stored. */
  private keepBuffered(buffered: Buffered, first = false): void {
    const list = this.bufferedOf(buffered.notification.telephonySessionId);
    if (first) list.unshift(buffered);
    else list.push(buffered);
    for (const peer of peersOf(buffered.notification.parties)) {
      this.waitingOn(peer).add(buffered.notification.telephonySessionId);
    }
  }

  /** The session's buffered notifications, taken out of the buffer; `putBack` when it still cannot be routed. */
  takeBuffered(telephonySessionId: string): { notifications: TelephonyNotification[]; putBack: () => void } {
    const list = this.buffered.get(telephonySessionId) ?? [];
    this.buffered.delete(telephonySessionId);
    for (const b of list) for (const id of b.rowIds) this.routedRowIds.add(id);
    return {
      notifications: list.map((b) => b.notification),
      putBack: () => {
        for (const b of list) for (const id of b.rowIds) this.routedRowIds.delete(id);
        for (const b of [...list].reverse()) this.keepBuffered(b, true);
      },
    };
  }

  /** Sessions buffered waiting for this one to be stored (taken: each is routed once). */
  takeWaiting(telephonySessionId: string): string[] {
    const sessions = [...(this.waiting.get(telephonySessionId) ?? [])];
    this.waiting.delete(telephonySessionId);
    return sessions.filter((s) => !this.calls.has(s));
  }

  // --- changes, in memory until flush ---

  contactFor(e164: string): string {
    let id = this.contactsByNumber.get(e164);
    if (!id) {
      id = randomUUID();
      this.contactsByNumber.set(e164, id);
      this.newContacts.push({ id, e164 });
    }
    return id;
  }

  openConversation(input: {
    inboxId: string;
    channelId: string;
    contactId: string | null;
    assigneeId: string | null;
  }): ConversationState {
    const conversation: ConversationState = {
      id: randomUUID(),
      assigneeId: input.assigneeId,
      inboxIds: [input.inboxId],
      callEnded: new Map(),
      storedAnswers: [],
    };
    this.conversations.set(conversation.id, conversation);
    const { channelId, contactId } = input;
    this.newConversations.set(conversation.id, { channelId, contactId, createdAt: new Date() });
    this.newConversationInboxes.push({ conversationId: conversation.id, inboxId: input.inboxId });
    return conversation;
  }

  conversation(id: string): ConversationState {
    return this.conversations.get(id)!;
  }

  createCall(
    input: Pick<CallState, "telephonySessionId" | "channel" | "direction" | "fromNumber" | "toNumber" | "createdAt"> & {
      conversation: ConversationState;
    },
  ): CallState {
    const call: CallState = {
      ...input,
      id: randomUUID(),
      conversationId: input.conversation.id,
      channelId: input.channel?.id ?? null,
      status: "RINGING",
      settledStatus: null,
      queuedAt: null,
      answeredAt: null,
      endedAt: null,
      talkSeconds: null,
      answeredById: null,
      parties: [],
      voicemails: 0,
    };
    this.calls.set(call.telephonySessionId, call);
    this.newCalls.add(call.id);
    return call;
  }

  saveParty(call: CallState, values: Omit<PartyRow, "id" | "callId">): void {
    const existing = call.parties.find((p) => p.partyId === values.partyId);
    if (existing) {
      Object.assign(existing, values);
      if (!this.newParties.has(existing)) this.changedParties.add(existing);
      return;
    }
    const row = { ...values, id: randomUUID(), callId: call.id };
    call.parties.push(row);
    this.newParties.add(row);
  }

  saveCall(call: CallState): void {
    if (!this.newCalls.has(call.id)) this.changedCalls.add(call);
  }

  touchConversation(conversationId: string, at: Date): void {
    this.touched.set(conversationId, at);
  }

  addInbox(conversation: ConversationState, inboxId: string): void {
    conversation.inboxIds.push(inboxId);
    this.newConversationInboxes.push({ conversationId: conversation.id, inboxId });
  }

  assign(conversation: ConversationState, userId: string): void {
    conversation.assigneeId = userId;
    if (!this.newConversations.has(conversation.id)) this.reassigned.add(conversation);
  }

  addActivity(activity: Prisma.ActivityCreateManyInput & { id: string }): void {
    this.newActivities.push(activity);
  }

  setCallEnded(conversation: ConversationState, callId: string, data: unknown, createdAt: Date): "created" | "updated" {
    const existing = conversation.callEnded.get(callId);
    if (existing) {
      existing.data = data;
      const unwritten = this.newActivities.find((a) => a.id === existing.id);
      if (unwritten) unwritten.data = data as Prisma.InputJsonValue;
      else this.changedActivities.set(existing.id, data);
      return "updated";
    }
    const id = randomUUID();
    conversation.callEnded.set(callId, { id, data });
    this.newActivities.push({
      id,
      conversationId: conversation.id,
      callId,
      type: "CALL_ENDED",
      data: data as Prisma.InputJsonValue,
      createdAt,
    });
    return "created";
  }

  setUserStatus(user: UserState, status: AgentStatus, statusBeforeCall: AgentStatus | null): void {
    user.status = status;
    user.statusBeforeCall = statusBeforeCall;
    this.changedUsers.add(user);
  }

  notePendingRecordings(callId: string, ringCentralIds: string[]): void {
    for (const ringCentralId of ringCentralIds) this.pendingRecordings.push({ ringCentralId, callId });
  }

  // --- the writes: all of them in one statement ---

  async flush(): Promise<void> {
    const now = new Date();
    const conversations = [...this.newConversations].map(([id, c]) => ({
      id,
      ...c,
      assigneeId: this.conversations.get(id)!.assigneeId,
      lastActivityAt: this.touched.get(id) ?? c.createdAt,
    }));
    const inboxes = this.newConversationInboxes.map((ci) => ({
      ...ci,
      lastActivityAt: this.touched.get(ci.conversationId) ?? now,
    }));
    const changedConversations = [...new Set([...this.touched.keys(), ...[...this.reassigned].map((c) => c.id)])]
      .filter((id) => !this.newConversations.has(id))
      .map((id) => {
        const conversation = this.conversations.get(id)!;
        const assigneeId = this.reassigned.has(conversation) ? conversation.assigneeId : null;
        return { id, at: this.touched.get(id) ?? null, assigneeId };
      });
    const buffered = [...this.buffered.values()].flat().filter((b) => b.rowIds.length === 0);
    await writeBurstChanges(this.tx, {
      now,
      contacts: this.newContacts,
      conversations,
      conversationInboxes: inboxes,
      calls: [...this.calls.values()].filter((c) => this.newCalls.has(c.id)),
      parties: [...this.newParties],
      changedParties: [...this.changedParties],
      changedCalls: [...this.changedCalls],
      changedConversations,
      touchedInboxes: [...this.touched].filter(([id]) => !this.newConversations.has(id)),
      activities: this.newActivities,
      changedActivities: [...this.changedActivities],
      changedUsers: [...this.changedUsers],
      pendingRecordings: this.pendingRecordings,
      routedEventIds: [...this.routedRowIds],
      bufferedParties: buffered.flatMap(({ notification: n }) => n.parties.map((party) => ({ n, party }))),
    });
  }
}
