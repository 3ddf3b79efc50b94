// What one call-ingest transaction reads and writes, set-wise. Everything a burst of telephony
// notifications can need is read up front in a handful of statements (calls with their parties and
// conversations, buffered events, voice channels, users, contacts, other calls' live legs); the
// burst is then applied in memory, notification by notification, exactly as one by one would; and
// what changed is written at the end in one statement (bulk-writes.ts). A burst of 200
// notifications costs about as many statements as one notification did.
import { randomUUID } from "node:crypto";
import type { Prisma } from "../generated/prisma/client.ts";
import type { Transaction } from "./event-log.ts";
import { legStaysOn, type CallStatus, type Direction } from "./call-state.ts";
import type { CallDirectory, TelephonyNotification, TelephonyParty } from "./calls.ts";
import { deleteRows, insertRows, updateRows, writeAll, type Column } from "./bulk-writes.ts";
import { lockCallSessions, tryLockCallSessions } from "../store/locks.ts";
import { toE164 } from "./phone-numbers.ts";

/** What routing needs of a voice channel. */
export interface ChannelRow {
  id: string;
  inboxId: string;
  phoneNumber: string | null;
}
type AgentStatus = "AVAILABLE" | "AWAY" | "BUSY" | "OFFLINE";

export interface PartyRow {
  id: string;
  callId: string;
  partyId: string;
  role: string;
  direction: "INBOUND" | "OUTBOUND";
  statusCode: string;
  reason: string | null;
  extensionId: string | null;
  fromNumber: string | null;
  toNumber: string | null;
  muted: boolean;
  missedCall: boolean;
  queueCall: boolean;
  sequence: number;
  eventTime: Date;
  firstEventAt: Date;
  answeredAt: Date | null;
  voicemailAt: Date | null;
  endedAt: Date | null;
}

/** An agent's answer on a call of the conversation that this burst does not touch. */
interface StoredAnswer {
  callId: string;
  extensionId: string | null;
  partyId: string;
  answeredAt: Date;
}

export interface ConversationState {
  id: string;
  assigneeId: string | null;
  inboxIds: string[];
  /** Each call's CALL_ENDED activity. */
  callEnded: Map<string, { id: string; data: unknown }>;
  storedAnswers: StoredAnswer[];
}

export interface CallState {
  id: string;
  telephonySessionId: string;
  conversationId: string;
  channel: ChannelRow | null;
  direction: Direction;
  status: CallStatus;
  fromNumber: string | null;
  toNumber: string | null;
  queuedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  talkSeconds: number | null;
  answeredById: string | null;
  createdAt: Date;
  parties: PartyRow[];
  voicemails: number;
  conversation: ConversationState;
}

export interface UserState {
  id: string;
  status: AgentStatus;
  statusBeforeCall: AgentStatus | null;
  muteIncomingCallBanner: boolean;
  inboxIds: string[];
}

/** A notification kept because its session could not be routed yet; `rowIds` once it is stored. */
interface Buffered {
  notification: TelephonyNotification;
  rowIds: string[];
}

/** A call row as loadCalls reads it: with its channel's routing fields, its parties and its conversation's facts. */
interface LoadedCall {
  id: string;
  telephonySessionId: string;
  conversationId: string;
  direction: Direction;
  status: CallStatus;
  fromNumber: string | null;
  toNumber: string | null;
  queuedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  talkSeconds: number | null;
  answeredById: string | null;
  createdAt: Date;
  channelId: string | null;
  channelInboxId: string | null;
  channelNumber: string | null;
  assigneeId: string | null;
  inboxIds: string[];
  /** CallParty rows as JSON: timestamps are text. */
  parties: (Omit<PartyRow, "eventTime" | "firstEventAt" | "answeredAt" | "voicemailAt" | "endedAt"> & Record<"eventTime" | "firstEventAt" | "answeredAt" | "voicemailAt" | "endedAt", string | null>)[];
  voicemails: number;
  callEnded: { callId: string | null; id: string; data: unknown }[];
  answers: { callId: string; partyId: string; extensionId: string | null; answeredAt: string }[];
}

/** A timestamp(3) column as JSON ("2026-01-02T09:00:00.123", UTC without the zone) as a Date. */
function fromJsonTimestamp(value: string | null): Date | null {
  return value === null ? null : new Date(`${value}Z`);
}

function partyFromJson(json: LoadedCall["parties"][number]): PartyRow {
  const { updatedAt: _, ...party } = json as typeof json & { updatedAt?: unknown };
  return {
    ...party,
    eventTime: fromJsonTimestamp(json.eventTime)!,
    firstEventAt: fromJsonTimestamp(json.firstEventAt)!,
    answeredAt: fromJsonTimestamp(json.answeredAt),
    voicemailAt: fromJsonTimestamp(json.voicemailAt),
    endedAt: fromJsonTimestamp(json.endedAt),
  };
}

const numbersOf = (parties: TelephonyParty[]) => parties.flatMap((p) => [p.fromNumber, p.toNumber]).flatMap((n) => (n ? [toE164(n) ?? n] : []));
const peersOf = (parties: TelephonyParty[]) => parties.flatMap((p) => (p.peerTelephonySessionId ? [p.peerTelephonySessionId] : []));

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
  private readonly newConversations = new Map<string, { channelId: string | null; contactId: string | null; createdAt: Date }>();
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
  static async load(tx: Transaction, directory: CallDirectory, notifications: TelephonyNotification[], options: { liveLegs?: boolean } = {}): Promise<CallIngestStore> {
    const store = new CallIngestStore(tx, directory);
    // Other calls' live legs only matter when an agent leaves a call (are they still on another?).
    store.liveLegsLoaded = options.liveLegs ?? notifications.some((n) => n.parties.some((p) => !legStaysOn(p.statusCode)));
    const parties = notifications.flatMap((n) => n.parties);
    const sessions = [...new Set(notifications.map((n) => n.telephonySessionId))];
    await store.loadCalls([...sessions, ...peersOf(parties)]);
    const missing = sessions.filter((s) => !store.calls.has(s));
    if (missing.length > 0) await store.loadBuffered(missing);
    const allParties = [...parties, ...[...store.buffered.values()].flat().flatMap((b) => b.notification.parties)];
    await store.loadChannels(numbersOf(allParties));
    await store.loadUsers(allParties);
    if (missing.length > 0) await store.loadContacts(numbersOf(allParties));
    return store;
  }

  /**
   * The calls of these sessions with their parties, and what their conversations hold that applying
   * can need, in one plain statement: PostgreSQL plans every statement afresh (no prepared
   * statements here), and Prisma's nested relation query for the same took longer to plan than to run.
   */
  private async loadCalls(telephonySessionIds: string[]): Promise<void> {
    const wanted = [...new Set(telephonySessionIds)].filter((s) => !this.calls.has(s));
    if (wanted.length === 0) return;
    const rows = await this.tx.$queryRaw<LoadedCall[]>`
      SELECT c."id"::text, c."telephonySessionId", c."conversationId"::text, c."direction"::text, c."status"::text, c."fromNumber", c."toNumber",
             c."queuedAt", c."answeredAt", c."endedAt", c."talkSeconds", c."answeredById"::text, c."createdAt",
             ch."id"::text AS "channelId", ch."inboxId"::text AS "channelInboxId", ch."phoneNumber" AS "channelNumber",
             v."assigneeId"::text, ARRAY(SELECT ci."inboxId"::text FROM "ConversationInbox" ci WHERE ci."conversationId" = c."conversationId") AS "inboxIds",
             (SELECT coalesce(json_agg(p), '[]'::json) FROM "CallParty" p WHERE p."callId" = c."id") AS "parties",
             (SELECT count(*)::int FROM "Recording" r WHERE r."callId" = c."id" AND r."kind" = 'VOICEMAIL') AS "voicemails",
             (SELECT coalesce(json_agg(json_build_object('callId', a."callId", 'id', a."id", 'data', a."data")), '[]'::json)
                FROM "Activity" a WHERE a."conversationId" = c."conversationId" AND a."type" = 'CALL_ENDED') AS "callEnded",
             (SELECT coalesce(json_agg(json_build_object('callId', p."callId", 'partyId', p."partyId", 'extensionId', p."extensionId", 'answeredAt', p."answeredAt")), '[]'::json)
                FROM "CallParty" p JOIN "Call" o ON o."id" = p."callId"
                WHERE o."conversationId" = c."conversationId" AND p."role" = 'AGENT' AND p."answeredAt" IS NOT NULL AND p."direction" = o."direction") AS "answers"
      FROM "Call" c JOIN "Conversation" v ON v."id" = c."conversationId" LEFT JOIN "Channel" ch ON ch."id" = c."channelId"
      WHERE c."telephonySessionId" = ANY(${wanted}::text[])`;
    for (const row of rows) {
      const { channelId, channelInboxId, channelNumber, assigneeId, inboxIds, parties, voicemails, callEnded, answers, ...call } = row;
      let conversation = this.conversations.get(row.conversationId);
      if (!conversation) {
        conversation = {
          id: row.conversationId,
          assigneeId,
          inboxIds,
          callEnded: new Map(callEnded.flatMap((a) => (a.callId ? [[a.callId, { id: a.id, data: a.data }] as const] : []))),
          storedAnswers: answers.map((a) => ({ ...a, answeredAt: fromJsonTimestamp(a.answeredAt)! })),
        };
        this.conversations.set(row.conversationId, conversation);
      }
      this.calls.set(row.telephonySessionId, {
        ...call,
        channel: channelId ? { id: channelId, inboxId: channelInboxId!, phoneNumber: channelNumber } : null,
        parties: parties.map(partyFromJson),
        voicemails,
        conversation,
      });
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
    const rows = await this.tx.$queryRaw<{ id: string; telephonySessionId: string; sequence: number; payload: { party: TelephonyParty; eventTime: string } }[]>`
      SELECT "id", "telephonySessionId", "sequence", "payload" FROM "UnroutedCallEvent"
      WHERE "telephonySessionId" = ANY(${missing}::text[])
         OR "telephonySessionId" IN (SELECT "telephonySessionId" FROM "UnroutedCallEvent" WHERE "payload"->'party'->>'peerTelephonySessionId' = ANY(${missing}::text[]))
      ORDER BY "receivedAt", "sequence"`;
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
    await lockCallSessions(this.tx, newPeers.filter((p) => !own.has(p) && !lockedOthers.has(p)));
    await this.loadCalls([...newPeers, ...lockedOthers]);
  }

  private async loadChannels(numbers: string[]): Promise<void> {
    const wanted = [...new Set(numbers)];
    if (wanted.length === 0) return;
    const rows = await this.tx.channel.findMany({
      where: { type: "VOICE", disconnectedAt: null, phoneNumber: { in: wanted } },
      select: { id: true, inboxId: true, phoneNumber: true },
    });
    for (const row of rows) if (row.phoneNumber) this.channelsByNumber.set(row.phoneNumber, row);
  }

  private emailOf(extensionId: string | null): string | null {
    return (extensionId ? this.directory.extension(extensionId)?.email?.toLowerCase() : null) ?? null;
  }

  /** Users of every extension this burst can touch, and the live legs they have on other calls. */
  private async loadUsers(parties: TelephonyParty[]): Promise<void> {
    const extensions = new Set(parties.map((p) => p.extensionId));
    for (const call of this.calls.values()) for (const party of call.parties) extensions.add(party.extensionId);
    for (const conversation of this.conversations.values()) for (const answer of conversation.storedAnswers) extensions.add(answer.extensionId);
    const emails = [...new Set([...extensions].flatMap((e) => this.emailOf(e) ?? []))];
    if (emails.length === 0) return;
    const users = await this.tx.user.findMany({
      where: { email: { in: emails } },
      select: { id: true, email: true, status: true, statusBeforeCall: true, muteIncomingCallBanner: true, memberships: { select: { inboxId: true } } },
    });
    for (const { email, memberships, ...user } of users) this.usersByEmail.set(email, { ...user, inboxIds: memberships.map((m) => m.inboxId) });
    const agentExtensions = [...extensions].filter((e): e is string => !!e && this.usersByEmail.has(this.emailOf(e) ?? ""));
    if (agentExtensions.length === 0 || !this.liveLegsLoaded) return;
    const live = await this.tx.callParty.findMany({
      where: {
        extensionId: { in: agentExtensions },
        endedAt: null,
        answeredAt: { not: null },
        call: { endedAt: null, telephonySessionId: { notIn: [...this.calls.keys()] } },
      },
      select: { callId: true, extensionId: true },
    });
    for (const { callId, extensionId } of live) {
      const calls = this.liveElsewhere.get(extensionId!) ?? new Set<string>();
      calls.add(callId);
      this.liveElsewhere.set(extensionId!, calls);
    }
  }

  private async loadContacts(numbers: string[]): Promise<void> {
    const e164s = [...new Set(numbers.flatMap((n) => toE164(n) ?? []))];
    if (e164s.length === 0) return;
    const phones = await this.tx.contactPhone.findMany({ where: { e164: { in: e164s } }, select: { e164: true, contactId: true } });
    for (const phone of phones) this.contactsByNumber.set(phone.e164, phone.contactId);
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
    if (!list) this.buffered.set(telephonySessionId, (list = []));
    return list;
  }

  private waitingOn(telephonySessionId: string): Set<string> {
    let set = this.waiting.get(telephonySessionId);
    if (!set) this.waiting.set(telephonySessionId, (set = new Set()));
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
    for (const peer of peersOf(buffered.notification.parties)) this.waitingOn(peer).add(buffered.notification.telephonySessionId);
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

  openConversation(input: { inboxId: string; channelId: string; contactId: string | null; assigneeId: string | null }): ConversationState {
    const conversation: ConversationState = { id: randomUUID(), assigneeId: input.assigneeId, inboxIds: [input.inboxId], callEnded: new Map(), storedAnswers: [] };
    this.conversations.set(conversation.id, conversation);
    this.newConversations.set(conversation.id, { channelId: input.channelId, contactId: input.contactId, createdAt: new Date() });
    this.newConversationInboxes.push({ conversationId: conversation.id, inboxId: input.inboxId });
    return conversation;
  }

  conversation(id: string): ConversationState {
    return this.conversations.get(id)!;
  }

  createCall(input: Pick<CallState, "telephonySessionId" | "channel" | "direction" | "fromNumber" | "toNumber" | "createdAt"> & { conversation: ConversationState }): CallState {
    const call: CallState = {
      ...input,
      id: randomUUID(),
      conversationId: input.conversation.id,
      status: "RINGING",
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
    this.newActivities.push({ id, conversationId: conversation.id, callId, type: "CALL_ENDED", data: data as Prisma.InputJsonValue, createdAt });
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
    const conversations = [...this.newConversations].map(([id, c]) => ({ id, ...c, assigneeId: this.conversations.get(id)!.assigneeId, lastActivityAt: this.touched.get(id) ?? c.createdAt }));
    const inboxes = this.newConversationInboxes.map((ci) => ({ ...ci, lastActivityAt: this.touched.get(ci.conversationId) ?? now }));
    const changedConversations = [...new Set([...this.touched.keys(), ...[...this.reassigned].map((c) => c.id)])]
      .filter((id) => !this.newConversations.has(id))
      .map((id) => ({ id, at: this.touched.get(id) ?? null, assigneeId: this.reassigned.has(this.conversations.get(id)!) ? this.conversations.get(id)!.assigneeId : null }));
    const touchedInboxes = [...this.touched].filter(([id]) => !this.newConversations.has(id));
    const buffered = [...this.buffered.values()].flat().filter((b) => b.rowIds.length === 0);
    await writeAll(this.tx, [
      insertRows("Contact", CONTACT_COLUMNS, this.newContacts.map((c) => ({ ...c, now }))),
      insertRows("ContactPhone", CONTACT_PHONE_COLUMNS, this.newContacts.map((c) => ({ ...c, now }))),
      insertRows("Conversation", CONVERSATION_INSERT_COLUMNS, conversations),
      insertRows("ConversationInbox", CONVERSATION_INBOX_COLUMNS, inboxes),
      insertRows("Call", CALL_INSERT_COLUMNS, [...this.calls.values()].filter((c) => this.newCalls.has(c.id))),
      insertRows("CallParty", PARTY_INSERT_COLUMNS, [...this.newParties]),
      updateRows("CallParty", PARTY_KEY, PARTY_COLUMNS, [...this.changedParties], { touchUpdatedAt: true }),
      updateRows("Call", CALL_KEY, CALL_COLUMNS, [...this.changedCalls], { touchUpdatedAt: true }),
      updateRows("Conversation", CONVERSATION_KEY, CONVERSATION_COLUMNS, changedConversations),
      updateRows("ConversationInbox", CONVERSATION_INBOX_KEY, [CONVERSATION_INBOX_TOUCH], touchedInboxes),
      insertRows("Activity", ACTIVITY_INSERT_COLUMNS, this.newActivities),
      updateRows("Activity", ACTIVITY_KEY, ACTIVITY_COLUMNS, [...this.changedActivities]),
      updateRows("User", USER_KEY, USER_COLUMNS, [...this.changedUsers], { touchUpdatedAt: true }),
      insertRows("Recording", RECORDING_COLUMNS, this.pendingRecordings, { onConflict: "ignore" }),
      deleteRows("UnroutedCallEvent", "id", [...this.routedRowIds]),
      insertRows("UnroutedCallEvent", UNROUTED_COLUMNS, buffered.flatMap(({ notification: n }) => n.parties.map((party) => ({ n, party }))), { onConflict: "ignore" }),
    ]);
  }
}

type Timed = { now: Date };

const CONTACT_COLUMNS: Column<{ id: string } & Timed>[] = [
  { name: "id", type: "uuid", value: (c) => c.id },
  { name: "createdAt", type: "timestamp", value: (c) => c.now },
  { name: "updatedAt", type: "timestamp", value: (c) => c.now },
];

const CONTACT_PHONE_COLUMNS: Column<{ id: string; e164: string } & Timed>[] = [
  { name: "id", type: "uuid", value: () => randomUUID() },
  { name: "contactId", type: "uuid", value: (c) => c.id },
  { name: "e164", type: "text", value: (c) => c.e164 },
  { name: "createdAt", type: "timestamp", value: (c) => c.now },
];

type NewConversation = { id: string; channelId: string | null; contactId: string | null; assigneeId: string | null; createdAt: Date; lastActivityAt: Date };
const CONVERSATION_INSERT_COLUMNS: Column<NewConversation>[] = [
  { name: "id", type: "uuid", value: (c) => c.id },
  { name: "channelId", type: "uuid", value: (c) => c.channelId },
  { name: "contactId", type: "uuid", value: (c) => c.contactId },
  { name: "assigneeId", type: "uuid", value: (c) => c.assigneeId },
  { name: "lastActivityAt", type: "timestamp", value: (c) => c.lastActivityAt },
  { name: "createdAt", type: "timestamp", value: (c) => c.createdAt },
];

type InboxRow = { conversationId: string; inboxId: string; lastActivityAt: Date };
const CONVERSATION_INBOX_COLUMNS: Column<InboxRow>[] = [
  { name: "conversationId", type: "uuid", value: (c) => c.conversationId },
  { name: "inboxId", type: "uuid", value: (c) => c.inboxId },
  { name: "lastActivityAt", type: "timestamp", value: (c) => c.lastActivityAt },
];
const CONVERSATION_INBOX_KEY: Column<[string, Date]> = { name: "conversationId", type: "uuid", value: ([id]) => id };
const CONVERSATION_INBOX_TOUCH: Column<[string, Date]> = { name: "lastActivityAt", type: "timestamp", value: ([, at]) => at };


const ACTIVITY_INSERT_COLUMNS: Column<Prisma.ActivityCreateManyInput>[] = [
  { name: "id", type: "uuid", value: (a) => a.id! },
  { name: "conversationId", type: "uuid", value: (a) => a.conversationId },
  { name: "type", type: "text", value: (a) => a.type },
  { name: "callId", type: "uuid", value: (a) => a.callId ?? null },
  { name: "data", type: "jsonb", value: (a) => JSON.stringify(a.data) },
  { name: "createdAt", type: "timestamp", value: (a) => (a.createdAt as Date | undefined) ?? new Date() },
];

const RECORDING_COLUMNS: Column<{ ringCentralId: string; callId: string }>[] = [
  { name: "id", type: "uuid", value: () => randomUUID() },
  { name: "ringCentralId", type: "text", value: (r) => r.ringCentralId },
  { name: "kind", type: "enum:RecordingKind", value: () => "CALL" },
  { name: "state", type: "enum:RecordingState", value: () => "PENDING" },
  { name: "callId", type: "uuid", value: (r) => r.callId },
  { name: "updatedAt", type: "timestamp", value: () => new Date() },
];

const UNROUTED_COLUMNS: Column<{ n: TelephonyNotification; party: TelephonyParty }>[] = [
  { name: "id", type: "uuid", value: () => randomUUID() },
  { name: "telephonySessionId", type: "text", value: ({ n }) => n.telephonySessionId },
  { name: "partyId", type: "text", value: ({ party }) => party.partyId },
  { name: "sequence", type: "integer", value: ({ n }) => n.sequence },
  { name: "payload", type: "jsonb", value: ({ n, party }) => JSON.stringify({ party, eventTime: n.eventTime.toISOString() }) },
];

const PARTY_KEY: Column<PartyRow> = { name: "id", type: "uuid", value: (p) => p.id };
const PARTY_COLUMNS: Column<PartyRow>[] = [
  { name: "role", type: "text", value: (p) => p.role },
  { name: "direction", type: "enum:CallDirection", value: (p) => p.direction },
  { name: "statusCode", type: "text", value: (p) => p.statusCode },
  { name: "reason", type: "text", value: (p) => p.reason },
  { name: "extensionId", type: "text", value: (p) => p.extensionId },
  { name: "fromNumber", type: "text", value: (p) => p.fromNumber },
  { name: "toNumber", type: "text", value: (p) => p.toNumber },
  { name: "muted", type: "boolean", value: (p) => p.muted },
  { name: "missedCall", type: "boolean", value: (p) => p.missedCall },
  { name: "queueCall", type: "boolean", value: (p) => p.queueCall },
  { name: "sequence", type: "integer", value: (p) => p.sequence },
  { name: "eventTime", type: "timestamp", value: (p) => p.eventTime },
  { name: "firstEventAt", type: "timestamp", value: (p) => p.firstEventAt },
  { name: "answeredAt", type: "timestamp", value: (p) => p.answeredAt },
  { name: "voicemailAt", type: "timestamp", value: (p) => p.voicemailAt },
  { name: "endedAt", type: "timestamp", value: (p) => p.endedAt },
];

const PARTY_INSERT_COLUMNS: Column<PartyRow>[] = [
  PARTY_KEY,
  { name: "callId", type: "uuid", value: (p) => p.callId },
  { name: "partyId", type: "text", value: (p) => p.partyId },
  ...PARTY_COLUMNS,
  { name: "updatedAt", type: "timestamp", value: () => new Date() },
];

const CALL_KEY: Column<CallState> = { name: "id", type: "uuid", value: (c) => c.id };
const CALL_COLUMNS: Column<CallState>[] = [
  { name: "status", type: "enum:CallStatus", value: (c) => c.status },
  { name: "queuedAt", type: "timestamp", value: (c) => c.queuedAt },
  { name: "answeredAt", type: "timestamp", value: (c) => c.answeredAt },
  { name: "endedAt", type: "timestamp", value: (c) => c.endedAt },
  { name: "talkSeconds", type: "integer", value: (c) => c.talkSeconds },
  { name: "answeredById", type: "uuid", value: (c) => c.answeredById },
];

const CALL_INSERT_COLUMNS: Column<CallState>[] = [
  { name: "id", type: "uuid", value: (c) => c.id },
  { name: "telephonySessionId", type: "text", value: (c) => c.telephonySessionId },
  { name: "conversationId", type: "uuid", value: (c) => c.conversationId },
  { name: "channelId", type: "uuid", value: (c) => c.channel?.id ?? null },
  { name: "direction", type: "enum:CallDirection", value: (c) => c.direction },
  { name: "fromNumber", type: "text", value: (c) => c.fromNumber },
  { name: "toNumber", type: "text", value: (c) => c.toNumber },
  ...CALL_COLUMNS,
  { name: "createdAt", type: "timestamp", value: (c) => c.createdAt },
  { name: "updatedAt", type: "timestamp", value: () => new Date() },
];

type ConversationChange = { id: string; at: Date | null; assigneeId: string | null };
const CONVERSATION_KEY: Column<ConversationChange> = { name: "id", type: "uuid", value: (c) => c.id };
// Only what changed: neither is ever set back to null here, so null means "as it is".
const CONVERSATION_COLUMNS: Column<ConversationChange>[] = [
  { name: "lastActivityAt", type: "timestamp", value: (c) => c.at, keepWhenNull: true },
  { name: "assigneeId", type: "uuid", value: (c) => c.assigneeId, keepWhenNull: true },
];

const ACTIVITY_KEY: Column<[string, unknown]> = { name: "id", type: "uuid", value: ([id]) => id };
const ACTIVITY_COLUMNS: Column<[string, unknown]>[] = [{ name: "data", type: "jsonb", value: ([, data]) => JSON.stringify(data) }];

const USER_KEY: Column<UserState> = { name: "id", type: "uuid", value: (u) => u.id };
const USER_COLUMNS: Column<UserState>[] = [
  { name: "status", type: "enum:AgentStatus", value: (u) => u.status },
  { name: "statusBeforeCall", type: "enum:AgentStatus", value: (u) => u.statusBeforeCall },
];
