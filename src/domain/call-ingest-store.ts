// What one call-ingest transaction reads and writes, set-wise. Everything a burst of telephony
// notifications can need is read up front in a handful of statements (calls with their parties and
// conversations, buffered events, voice channels, users, contacts, other calls' live legs); the
// burst is then applied in memory, notification by notification, exactly as one by one would; and
// what changed is written at the end, one statement per table and kind of change. A burst of 200
// notifications costs about as many statements as one notification did.
import { randomUUID } from "node:crypto";
import type { Prisma } from "../generated/prisma/client.ts";
import type { Transaction } from "./events.ts";
import type { CallStatus, Direction } from "./call-state.ts";
import type { CallDirectory, TelephonyNotification, TelephonyParty } from "./calls.ts";
import { updateRows, type Column } from "./bulk-writes.ts";
import { lockCallSessions, tryLockCallSessions } from "./locks.ts";
import { toE164 } from "./phone-numbers.ts";

type ChannelRow = Prisma.ChannelGetPayload<object>;
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

const callInclude = {
  channel: true,
  parties: true,
  recordings: { where: { kind: "VOICEMAIL" }, select: { id: true } },
  conversation: {
    select: {
      id: true,
      assigneeId: true,
      inboxes: { select: { inboxId: true } },
      activities: { where: { type: "CALL_ENDED" }, select: { id: true, callId: true, data: true } },
      calls: {
        select: {
          id: true,
          direction: true,
          parties: { where: { role: "AGENT", answeredAt: { not: null } }, select: { extensionId: true, partyId: true, answeredAt: true, direction: true } },
        },
      },
    },
  },
} satisfies Prisma.CallInclude;

type LoadedCall = Prisma.CallGetPayload<{ include: typeof callInclude }>;

const numbersOf = (parties: TelephonyParty[]) => parties.flatMap((p) => [p.fromNumber, p.toNumber]).flatMap((n) => (n ? [toE164(n) ?? n] : []));
const peersOf = (parties: TelephonyParty[]) => parties.flatMap((p) => (p.peerTelephonySessionId ? [p.peerTelephonySessionId] : []));

export class CallIngestStore {
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

  /** Locks the notifications' sessions (and the sessions they point at) and reads what applying them can need. */
  static async load(tx: Transaction, directory: CallDirectory, notifications: TelephonyNotification[]): Promise<CallIngestStore> {
    const store = new CallIngestStore(tx, directory);
    const parties = notifications.flatMap((n) => n.parties);
    const sessions = [...new Set(notifications.map((n) => n.telephonySessionId))];
    // A consultation call waits for its peer's in-flight transaction (it holds the peer's lock)
    // rather than be buffered with nothing left to route it later; see loadWaiting for the other side.
    await lockCallSessions(tx, [...sessions, ...peersOf(parties)]);
    await store.loadCalls([...sessions, ...peersOf(parties)]);
    const missing = sessions.filter((s) => !store.calls.has(s));
    if (missing.length > 0) await store.loadBuffered(missing);
    const allParties = [...parties, ...[...store.buffered.values()].flat().flatMap((b) => b.notification.parties)];
    await store.loadChannels(numbersOf(allParties));
    await store.loadUsers(allParties);
    if (missing.length > 0) await store.loadContacts(numbersOf(allParties));
    return store;
  }

  private async loadCalls(telephonySessionIds: string[]): Promise<void> {
    const wanted = [...new Set(telephonySessionIds)].filter((s) => !this.calls.has(s));
    if (wanted.length === 0) return;
    const rows = await this.tx.call.findMany({ where: { telephonySessionId: { in: wanted } }, include: callInclude });
    for (const row of rows) this.keepCall(row);
  }

  private keepCall(row: LoadedCall): void {
    const { conversation: c } = row;
    let conversation = this.conversations.get(c.id);
    if (!conversation) {
      conversation = {
        id: c.id,
        assigneeId: c.assigneeId,
        inboxIds: c.inboxes.map((i) => i.inboxId),
        callEnded: new Map(c.activities.flatMap((a) => (a.callId ? [[a.callId, { id: a.id, data: a.data }] as const] : []))),
        storedAnswers: c.calls.flatMap((call) =>
          call.parties
            .filter((p) => p.direction === call.direction)
            .map((p) => ({ callId: call.id, extensionId: p.extensionId, partyId: p.partyId, answeredAt: p.answeredAt! })),
        ),
      };
      this.conversations.set(c.id, conversation);
    }
    const { conversation: _, recordings, parties, channelId: __, updatedAt: ___, ...scalars } = row;
    this.calls.set(row.telephonySessionId, {
      ...scalars,
      direction: row.direction,
      status: row.status,
      parties: parties.map(({ updatedAt: _u, ...party }) => party),
      voicemails: recordings.length,
      conversation,
    });
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
    const rows = await this.tx.channel.findMany({ where: { type: "VOICE", disconnectedAt: null, phoneNumber: { in: wanted } } });
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
    if (agentExtensions.length === 0) return;
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
      if (!this.newActivities.some((a) => a.id === existing.id)) this.changedActivities.set(existing.id, data);
      else this.newActivities.find((a) => a.id === existing.id)!.data = data as Prisma.InputJsonValue;
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

  // --- the writes, set-wise, in foreign-key order ---

  async flush(): Promise<void> {
    const tx = this.tx;
    if (this.newContacts.length > 0) {
      await tx.contact.createMany({ data: this.newContacts.map(({ id }) => ({ id })) });
      await tx.contactPhone.createMany({ data: this.newContacts.map(({ id, e164 }) => ({ contactId: id, e164 })) });
    }
    if (this.newConversations.size > 0) {
      await tx.conversation.createMany({
        data: [...this.newConversations].map(([id, c]) => ({
          id,
          ...c,
          assigneeId: this.conversations.get(id)!.assigneeId,
          lastActivityAt: this.touched.get(id) ?? c.createdAt,
        })),
      });
    }
    if (this.newConversationInboxes.length > 0) {
      await tx.conversationInbox.createMany({
        data: this.newConversationInboxes.map((ci) => ({ ...ci, lastActivityAt: this.touched.get(ci.conversationId) ?? new Date() })),
      });
    }
    const calls = [...this.calls.values()];
    const created = calls.filter((c) => this.newCalls.has(c.id));
    if (created.length > 0) await tx.call.createMany({ data: created.map(callColumns) });
    if (this.newParties.size > 0) await tx.callParty.createMany({ data: [...this.newParties] });
    await updateRows(tx, "CallParty", PARTY_KEY, PARTY_COLUMNS, [...this.changedParties], { touchUpdatedAt: true });
    await updateRows(tx, "Call", CALL_KEY, CALL_COLUMNS, [...this.changedCalls], { touchUpdatedAt: true });
    await this.flushConversations();
    if (this.newActivities.length > 0) await tx.activity.createMany({ data: this.newActivities });
    await updateRows(tx, "Activity", ACTIVITY_KEY, ACTIVITY_COLUMNS, [...this.changedActivities]);
    await updateRows(tx, "User", USER_KEY, USER_COLUMNS, [...this.changedUsers], { touchUpdatedAt: true });
    if (this.pendingRecordings.length > 0) {
      await tx.recording.createMany({ data: this.pendingRecordings.map((r) => ({ ...r, kind: "CALL" as const, state: "PENDING" as const })), skipDuplicates: true });
    }
    await this.flushBuffered();
  }

  private async flushConversations(): Promise<void> {
    const existing = [...new Set([...this.touched.keys(), ...[...this.reassigned].map((c) => c.id)])].filter((id) => !this.newConversations.has(id));
    const rows = existing.map((id) => ({ id, at: this.touched.get(id) ?? null, assigneeId: this.reassigned.has(this.conversations.get(id)!) ? this.conversations.get(id)!.assigneeId : null }));
    await updateRows(this.tx, "Conversation", CONVERSATION_KEY, CONVERSATION_COLUMNS, rows);
    const touched = [...this.touched].filter(([id]) => !this.newConversations.has(id));
    await updateRows(this.tx, "ConversationInbox", { name: "conversationId", type: "uuid", value: ([id]) => id }, [{ name: "lastActivityAt", type: "timestamp", value: ([, at]) => at }], touched);
  }

  private async flushBuffered(): Promise<void> {
    if (this.routedRowIds.size > 0) await this.tx.unroutedCallEvent.deleteMany({ where: { id: { in: [...this.routedRowIds] } } });
    const fresh = [...this.buffered.values()].flat().filter((b) => b.rowIds.length === 0);
    if (fresh.length === 0) return;
    await this.tx.unroutedCallEvent.createMany({
      data: fresh.flatMap(({ notification: n }) =>
        n.parties.map((party) => ({
          telephonySessionId: n.telephonySessionId,
          partyId: party.partyId,
          sequence: n.sequence,
          payload: { party, eventTime: n.eventTime.toISOString() } as unknown as Prisma.InputJsonValue,
        })),
      ),
      skipDuplicates: true,
    });
  }
}

function callColumns(call: CallState): Prisma.CallCreateManyInput {
  return {
    id: call.id,
    telephonySessionId: call.telephonySessionId,
    conversationId: call.conversationId,
    channelId: call.channel?.id ?? null,
    direction: call.direction,
    status: call.status,
    fromNumber: call.fromNumber,
    toNumber: call.toNumber,
    queuedAt: call.queuedAt,
    answeredAt: call.answeredAt,
    endedAt: call.endedAt,
    talkSeconds: call.talkSeconds,
    answeredById: call.answeredById,
    createdAt: call.createdAt,
  };
}

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

const CALL_KEY: Column<CallState> = { name: "id", type: "uuid", value: (c) => c.id };
const CALL_COLUMNS: Column<CallState>[] = [
  { name: "status", type: "enum:CallStatus", value: (c) => c.status },
  { name: "queuedAt", type: "timestamp", value: (c) => c.queuedAt },
  { name: "answeredAt", type: "timestamp", value: (c) => c.answeredAt },
  { name: "endedAt", type: "timestamp", value: (c) => c.endedAt },
  { name: "talkSeconds", type: "integer", value: (c) => c.talkSeconds },
  { name: "answeredById", type: "uuid", value: (c) => c.answeredById },
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
