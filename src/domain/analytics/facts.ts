// Analytics definitions (README "Analytics"): what one call, message, SMS conversation or CSAT
// answer counts as. Each fact is a pure function of the rows as they are now — not of the events
// that led there — so notifications that arrived late, twice or out of order count once, as the
// call finally is; the analytics consumer recomputes the fact of whatever an event touched.
import { isOutcome, type CallOutcome, type CallStatus } from "../call-outcomes.ts";
import { holdSeconds, type HoldLog } from "../call-state.ts";

export interface CallRow {
  id: string;
  direction: "INBOUND" | "OUTBOUND";
  status: CallStatus;
  answeredAt: Date | null;
  endedAt: Date | null;
  talkSeconds: number | null;
  answeredById: string | null;
  createdAt: Date;
  channelId: string | null;
  inboxId: string | null;
}

export interface CallPartyRow {
  role: string;
  direction: "INBOUND" | "OUTBOUND";
  /** The user whose extension the leg is (null: no user's). */
  userId: string | null;
  firstEventAt: Date;
  answeredAt: Date | null;
  holdLog: HoldLog;
}

export interface CallFact {
  callId: string;
  startedAt: Date;
  inboxId: string | null;
  channelId: string | null;
  direction: "INBOUND" | "OUTBOUND";
  outcome: CallOutcome | null;
  waitSeconds: number | null;
  talkSeconds: number | null;
  holdSeconds: number | null;
  transfers: number;
  agentId: string | null;
}

export interface CallAgentFact {
  callId: string;
  agentId: string;
  startedAt: Date;
  inboxId: string | null;
  channelId: string | null;
  answered: boolean;
  missed: boolean;
  answeredElsewhere: boolean;
}

const seconds = (from: Date, to: Date) => Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

/** Agents' legs rung by an inbound call (a leg RingCentral reports as inbound to a user's extension). */
const rungLegs = (parties: CallPartyRow[]) =>
  parties.filter((p) => p.role === "AGENT" && p.direction === "INBOUND" && p.userId !== null);

/**
 * A call as the voice figures count it. It starts at its earliest party event (RingCentral's clock,
 * whatever order notifications arrived in). An inbound call waits from its start until the first
 * agent answers, or — when nobody answers — until it ends. Its outcome is its status once that is
 * one (the settled outcome included: a call's status is never less specific). Each further agent
 * leg that answered after the first is one transfer. An answered call's hold time is the time its
 * agents' legs spent on hold (callHoldSeconds).
 */
export function callFact(call: CallRow, parties: CallPartyRow[]): CallFact {
  // Without parties (a call known from the call log only) it starts when it was stored.
  const startedAt =
    parties.length === 0 ? call.createdAt : new Date(Math.min(...parties.map((p) => p.firstEventAt.getTime())));
  const outcome = isOutcome(call.status) ? call.status : null;
  const inbound = call.direction === "INBOUND";
  const waitEnd = call.answeredAt ?? call.endedAt;
  const answeringLegs = rungLegs(parties).filter((p) => p.answeredAt !== null).length;
  return {
    callId: call.id,
    startedAt,
    inboxId: call.inboxId,
    channelId: call.channelId,
    direction: call.direction,
    outcome,
    waitSeconds: inbound && outcome && waitEnd ? seconds(startedAt, waitEnd) : null,
    talkSeconds: outcome === "ENDED" ? call.talkSeconds : null,
    holdSeconds: outcome === "ENDED" ? callHoldSeconds(parties) : null,
    transfers: inbound ? Math.max(0, answeringLegs - 1) : 0,
    agentId: inbound && outcome !== "ENDED" ? null : call.answeredById,
  };
}

/**
 * Whether the leg's hold log holds all of it. Every party event applied adds an entry and may move
 * the leg's first event earlier, so a leg whose events were all logged has an entry at its first
 * event; one first stored before hold logs were kept has none there (or no entry at all).
 */
const fullyLogged = (leg: CallPartyRow) => leg.holdLog.some(([, , at]) => at === leg.firstEventAt.getTime());

/**
 * The seconds the call's agent legs were on hold, summed: the customer waits while an agent holds,
 * the hold of a warm transfer's consultation included. Null when that is not known: a call seen
 * only in the call log (no parties), or one with an agent leg not fully logged.
 */
function callHoldSeconds(parties: CallPartyRow[]): number | null {
  const agentLegs = parties.filter((p) => p.role === "AGENT");
  if (parties.length === 0 || !agentLegs.every(fullyLogged)) return null;
  return Math.round(agentLegs.reduce((sum, leg) => sum + holdSeconds(leg.holdLog), 0));
}

/**
 * Each agent an ended inbound call rang, once however many legs rang them: answered when one of
 * their legs answered; otherwise missed when nobody answered the call, and "answered elsewhere" when
 * a colleague did (a queue ringing several agents makes one of them answer, not the others miss).
 */
export function callAgentFacts(fact: CallFact, parties: CallPartyRow[]): CallAgentFact[] {
  if (fact.direction !== "INBOUND" || fact.outcome === null) return [];
  const byAgent = new Map<string, boolean>();
  for (const leg of rungLegs(parties))
    byAgent.set(leg.userId!, (byAgent.get(leg.userId!) ?? false) || !!leg.answeredAt);
  return [...byAgent].map(([agentId, answered]) => ({
    callId: fact.callId,
    agentId,
    startedAt: fact.startedAt,
    inboxId: fact.inboxId,
    channelId: fact.channelId,
    answered,
    missed: !answered && fact.outcome !== "ENDED",
    answeredElsewhere: !answered && fact.outcome === "ENDED",
  }));
}

export interface MessageRow {
  id: string;
  direction: "INBOUND" | "OUTBOUND";
  status: string;
  createdAt: Date;
  sentById: string | null;
  attachments: number;
  channelId: string | null;
  inboxId: string | null;
}

export interface MessageFact {
  messageId: string;
  at: Date;
  inboxId: string | null;
  channelId: string | null;
  direction: "INBOUND" | "OUTBOUND";
  mms: boolean;
  failed: boolean;
  agentId: string | null;
}

/** A message counts when it was stored; with an attachment it is an MMS; an outbound one FAILED is a delivery failure. */
export function messageFact(message: MessageRow): MessageFact {
  return {
    messageId: message.id,
    at: message.createdAt,
    inboxId: message.inboxId,
    channelId: message.channelId,
    direction: message.direction,
    mms: message.attachments > 0,
    failed: message.direction === "OUTBOUND" && message.status === "FAILED",
    agentId: message.direction === "OUTBOUND" ? message.sentById : null,
  };
}

export interface ConversationRow {
  id: string;
  status: "OPEN" | "ARCHIVED";
  createdAt: Date;
  archivedAt: Date | null;
  assigneeId: string | null;
  channelId: string | null;
  inboxId: string | null;
  /** Its messages, oldest first. */
  messages: { direction: "INBOUND" | "OUTBOUND"; createdAt: Date; sentById: string | null }[];
}

export interface ConversationFact {
  conversationId: string;
  inboxId: string | null;
  channelId: string | null;
  openedAt: Date;
  closedAt: Date | null;
  resolutionSeconds: number | null;
  assigneeId: string | null;
  firstInboundAt: Date | null;
  firstResponseSeconds: number | null;
  responderId: string | null;
}

/**
 * An SMS conversation: opened when created; closed while archived, at its (latest) archive time,
 * resolved in the time from opening to that close. Its first response is the first message a
 * person (not a rule) sent after the customer's first message, timed from that first message.
 */
export function conversationFact(conversation: ConversationRow): ConversationFact {
  const closedAt = conversation.status === "ARCHIVED" ? conversation.archivedAt : null;
  const firstInbound = conversation.messages.find((m) => m.direction === "INBOUND") ?? null;
  const response = firstInbound
    ? conversation.messages.find(
        (m) => m.direction === "OUTBOUND" && m.sentById !== null && m.createdAt >= firstInbound.createdAt,
      )
    : undefined;
  return {
    conversationId: conversation.id,
    inboxId: conversation.inboxId,
    channelId: conversation.channelId,
    openedAt: conversation.createdAt,
    closedAt,
    resolutionSeconds: closedAt ? seconds(conversation.createdAt, closedAt) : null,
    assigneeId: conversation.assigneeId,
    firstInboundAt: firstInbound?.createdAt ?? null,
    firstResponseSeconds: firstInbound && response ? seconds(firstInbound.createdAt, response.createdAt) : null,
    responderId: response?.sentById ?? null,
  };
}

export interface CsatRow {
  id: string;
  score: number | null;
  answeredAt: Date | null;
  assigneeId: string | null;
  channelId: string | null;
  inboxId: string | null;
}

export interface CsatFact {
  csatResponseId: string;
  answeredAt: Date;
  inboxId: string | null;
  channelId: string | null;
  agentId: string | null;
  score: number;
}

/** An answered survey counts when answered, for the agent assigned when it was sent. */
export function csatFact(response: CsatRow): CsatFact | null {
  if (response.score === null || response.answeredAt === null) return null;
  return {
    csatResponseId: response.id,
    answeredAt: response.answeredAt,
    inboxId: response.inboxId,
    channelId: response.channelId,
    agentId: response.assigneeId,
    score: response.score,
  };
}
