// Analytics of texts and CSAT (issue 16): random SMS conversations played through the domain against
// the RingCentral simulator — customers texting (SMS and MMS; notifications delivered twice and out of
// order), agents writing and replying through the unmodified SDK (SMS and MMS), delivery status
// reports (FAILED included) shuffled and repeated, assignment, archive and reopen, CSAT surveys and
// their 1–5 answers — and the analytics equal a count of the same timeline done here, for random
// ranges, granularities and time zones (the histories straddle the end of daylight saving in Europe
// and the US), in totals, every bucket, per inbox, channel and agent.
//
// The history happens in October 2026: the process clock is set to each moment (vitest's Date-only
// fake timers; timers stay real), so RingCentral (the in-process simulator), the domain and Prisma
// agree on "now" as they would have had it happened then — conversations open and close at the
// clock's time, messages carry RingCentral's creation time.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { SDK } from "@ringcentral/sdk";
import { startTestApi, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { receiveSmsFromSimulator, SIM_SMS_NUMBER, simControl } from "./support/sms.ts";
import { startSimulator, type Simulator } from "../src/integrations/ringcentral/simulator/index.ts";
import { createSmsSender } from "../src/integrations/ringcentral/sms.ts";
import { applyStoreMessage } from "../src/integrations/ringcentral/messaging.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { ingestInboundMessage, type InboundMessageInput } from "../src/domain/sms/inbound.ts";
import { sendMessage } from "../src/domain/sms/sending.ts";
import type { SmsSender } from "../src/domain/sms/sender.ts";
import { archiveConversation, assignConversation, reopenConversation } from "../src/domain/conversations.ts";
import { sendCsatSurvey } from "../src/domain/csat.ts";
import { createMessageTemplate } from "../src/domain/message-templates.ts";
import { createRule } from "../src/domain/rules/rules.ts";
import { analytics, type AnalyticsResult, type Figures } from "../src/domain/analytics/query.ts";
import { rebuildAnalytics } from "../src/domain/analytics/refresh.ts";
import { startAnalyticsConsumer, type AnalyticsConsumer } from "../src/analytics/consumer.ts";
import { createLogger } from "../src/logger.ts";
import type { Viewer } from "../src/domain/access.ts";
import { analyticsSnapshot, bucketLabel, percentile, type Granularity } from "./support/analytics.ts";

const SMS_X = SIM_SMS_NUMBER;
/** A second number of the same RingCentral user, so the one SDK login sends from both inboxes. */
const SMS_Y = "+19043014560";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Conversations start from here on, for 10 days: Europe (Oct 25) and the US (Nov 1) leave daylight saving. */
const WINDOW_START = Date.UTC(2026, 9, 23, 0);
const WINDOW_DAYS = 10;
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Sao_Paulo"];
const SURVEY_WINDOW_HOURS = 24;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

type InboxName = "X" | "Y";

let sim: Simulator;
let sdk: SDK;
let sender: SmsSender;
let api: TestApi;
let consumer: AnalyticsConsumer;
let agents: { id: string; viewer: Viewer }[];
let inboxes: Record<InboxName, { id: string; channelId: string; number: string }>;
let templateId: string;
let ruleId: string;
const log = createLogger("silent");
const admin: Viewer = { id: "00000000-0000-0000-0000-00000000000a", role: "ADMIN", inboxIds: null };

const deps = () => ({ prisma: api.app.db.prisma, pubsub: api.app.pubsub });

beforeAll(async () => {
  const generous = { limit: 1_000_000 };
  sim = await startSimulator({
    port: 0,
    rateLimits: { Auth: generous, Light: generous, Medium: generous, Heavy: generous },
  });
  const owner = sim.platform.defaultAccount().phoneNumbers.find((n) => n.phoneNumber === SMS_X)!.extensionId;
  expect(
    (await simControl(sim, "POST", "/__sim/phone-numbers", { phoneNumber: SMS_Y, extensionId: owner })).status,
  ).toBe(201);
  // Sent messages stay Queued until the test reports their delivery.
  await simControl(sim, "PUT", "/__sim/sms/settings", { progression: "manual", failingNumbers: [] });
  const { clientId, clientSecret, jwt } = sim.credentials();
  sdk = new SDK({ server: sim.url, clientId, clientSecret, cachePrefix: `texts-${crypto.randomUUID()}-` });
  await sdk.platform().login({ jwt });
  sender = createSmsSender(sdk.platform());

  api = await startTestApi({ redis: null });
  const prisma = api.app.db.prisma;
  const rulesAdmin = await api.createUser("ADMIN", "texts-admin");
  const people = [];
  for (const i of [0, 1, 2]) people.push(await api.createUser("AGENT", `texts-agent-${i}`));
  const memberIds = people.map((p) => p.id);
  const [x, y] = [await seedInbox(api.app, "Texts X", memberIds), await seedInbox(api.app, "Texts Y", memberIds)];
  const channelX = await prisma.channel.create({ data: { type: "SMS", phoneNumber: SMS_X, inboxId: x.id } });
  const channelY = await prisma.channel.create({ data: { type: "SMS", phoneNumber: SMS_Y, inboxId: y.id } });
  inboxes = {
    X: { id: x.id, channelId: channelX.id, number: SMS_X },
    Y: { id: y.id, channelId: channelY.id, number: SMS_Y },
  };
  agents = people.map((p) => ({ id: p.id, viewer: { id: p.id, role: "AGENT", inboxIds: [x.id, y.id] } }));
  templateId = (await createMessageTemplate(prisma, { name: "csat", body: "How did we do? Reply 1-5" })).id;
  ruleId = (
    await createRule(prisma, rulesAdmin.id, {
      name: "Measure customer satisfaction",
      trigger: "CONVERSATION_ARCHIVED",
      actions: [{ type: "SEND_CSAT_SURVEY", templateId, windowHours: SURVEY_WINDOW_HOURS }],
    })
  ).id;
  consumer = startAnalyticsConsumer({ ...deps(), log, leases: inProcessLeases() });
  await consumer.drain();
  vi.useFakeTimers({ toFake: ["Date"] });
});
afterAll(async () => {
  vi.useRealTimers();
  await consumer?.close();
  await api?.close();
  await sim?.close();
});

// --- the timeline, as generated ---------------------------------------------------------------------

type Outcome = "QUEUED" | "SENT" | "DELIVERED" | "DELIVERY_FAILED" | "SENDING_FAILED";

/** The delivery steps RingCentral reports for each outcome, in the order they happen. */
const PROGRESS: Record<Outcome, string[]> = {
  QUEUED: [],
  SENT: ["Sent"],
  DELIVERED: ["Sent", "Delivered"],
  DELIVERY_FAILED: ["Sent", "DeliveryFailed"],
  SENDING_FAILED: ["SendingFailed"],
};

type Step =
  /** The customer texts one or more messages a minute apart (true: with a photo). */
  | { kind: "text"; gap: number; mms: boolean[]; seed: number }
  | { kind: "reply"; gap: number; agent: number; mms: boolean; outcome: Outcome; seed: number }
  | { kind: "archive"; gap: number; agent: number | null }
  | { kind: "reopen"; gap: number; agent: number }
  | { kind: "assign"; gap: number; agent: number }
  /** A survey, answered `answer.after` minutes later (sometimes after its window has closed). */
  | { kind: "survey"; gap: number; answer: Answer | null }
  | ({ kind: "answer"; gap: number } & Answer);

interface Answer {
  after: number;
  score: number;
  /** The answer's notification arrives twice. */
  twice: boolean;
}

/** Minutes since the previous step: often soon, sometimes more than a day later. */
const gap = fc.oneof(fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 40 * 60 }));
const agent = fc.integer({ min: 0, max: 2 });
const textStep = fc.record({
  kind: fc.constant("text" as const),
  gap,
  mms: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
  seed: fc.integer(),
});
const replyStep = fc.record({
  kind: fc.constant("reply" as const),
  gap,
  agent,
  mms: fc.boolean(),
  outcome: fc.constantFrom<Outcome>("QUEUED", "SENT", "DELIVERED", "DELIVERED", "DELIVERY_FAILED", "SENDING_FAILED"),
  seed: fc.integer(),
});
const answer = fc.record({
  after: fc.integer({ min: 1, max: 30 * 60 }),
  score: fc.integer({ min: 1, max: 5 }),
  twice: fc.boolean(),
});
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: textStep, weight: 3 },
  { arbitrary: replyStep, weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("archive" as const), gap, agent: fc.option(agent) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("reopen" as const), gap, agent }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("assign" as const), gap, agent }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("survey" as const), gap, answer: fc.option(answer) }), weight: 2 },
  { arbitrary: fc.tuple(gap, answer).map(([g, a]) => ({ kind: "answer" as const, gap: g, ...a })), weight: 1 },
);
const conversationSpec = fc.record({
  inbox: fc.constantFrom<InboxName>("X", "Y"),
  startMinute: fc.integer({ min: 0, max: WINDOW_DAYS * 24 * 60 - 1 }),
  /** Who starts it: the customer, or an agent writing to them. */
  first: fc.oneof(textStep, replyStep),
  steps: fc.array(step, { maxLength: 8 }),
});

/** Shuffled, with some items delivered twice. */
function shuffledWithRepeats<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  return items
    .flatMap((item) => (random() < 0.3 ? [item, item] : [item]))
    .map((item) => ({ item, key: random() }))
    .sort((a, b) => a.key - b.key)
    .map(({ item }) => item);
}

// --- what happened, as the test keeps it ------------------------------------------------------------

interface ModelMessage {
  at: number;
  direction: "INBOUND" | "OUTBOUND";
  mms: boolean;
  /** Who sent it (an agent's index); null: the customer or a rule. */
  agent: number | null;
  failed: boolean;
}

/** One conversation as this test follows it, independently of what the app stores. */
interface Model {
  inbox: InboxName;
  customer: string;
  conversationId: string | null;
  openedAt: number | null;
  status: "OPEN" | "ARCHIVED";
  archivedAt: number | null;
  assignee: number | null;
  messages: ModelMessage[];
  lastOutboundFailed: boolean;
  surveys: { at: number; expiresAt: number; assignee: number | null; answered: boolean }[];
  answers: { at: number; score: number; agent: number | null }[];
}

let customers = 0;

function newModel(inbox: InboxName): Model {
  return {
    inbox,
    customer: `+1650555${String(2000 + customers++).padStart(4, "0")}`,
    conversationId: null,
    openedAt: null,
    status: "OPEN",
    archivedAt: null,
    assignee: null,
    messages: [],
    lastOutboundFailed: false,
    surveys: [],
    answers: [],
  };
}

/** The conversation the app put a message in: the one this customer's messages always go to. */
function sameConversation(c: Model, conversationId: string, at: number) {
  if (c.conversationId === null) {
    c.conversationId = conversationId;
    c.openedAt = at;
  }
  expect(conversationId).toBe(c.conversationId);
}

/** A customer's ordinary message (or an agent's failed one) reopens an archived conversation. */
function reopenedByMessage(c: Model) {
  c.status = "OPEN";
  c.archivedAt = null;
}

async function customerTexts(c: Model, s: Extract<Step, { kind: "text" }>, start: number): Promise<number> {
  const inputs: InboundMessageInput[] = [];
  for (const [i, mms] of s.mms.entries()) {
    const at = start + i * MINUTE;
    vi.setSystemTime(at);
    const attachments = mms
      ? [{ contentType: "image/png", fileName: "photo.png", base64: PNG.toString("base64") }]
      : [];
    inputs.push(
      await receiveSmsFromSimulator(sim, { from: c.customer, to: inboxes[c.inbox].number, text: "hello", attachments }),
    );
    c.messages.push({ at, direction: "INBOUND", mms, agent: null, failed: false });
  }
  // Delivered once all were sent, out of order and some twice.
  const deliveredAt = start + (s.mms.length - 1) * MINUTE;
  vi.setSystemTime(deliveredAt);
  for (const input of shuffledWithRepeats(inputs, s.seed)) {
    const stored = await ingestInboundMessage(deps(), input);
    sameConversation(c, stored!.conversationId, deliveredAt);
  }
  reopenedByMessage(c);
  return deliveredAt;
}

async function agentWrites(c: Model, s: Extract<Step, { kind: "reply" }>, at: number) {
  vi.setSystemTime(at);
  const recipient = c.conversationId
    ? { conversationId: c.conversationId }
    : { channelId: inboxes[c.inbox].channelId, to: c.customer };
  const attachments = s.mms ? [{ fileName: "map.png", contentType: "image/png", content: PNG }] : [];
  const sent = await sendMessage(deps(), agents[s.agent]!.viewer, { ...recipient, text: "On it", attachments }, sender);
  sameConversation(c, sent.conversation.id, at);
  // RingCentral reports each delivery step; the reports arrive shuffled and repeated.
  const reports: unknown[] = [];
  for (const messageStatus of PROGRESS[s.outcome]) {
    const forced = await simControl(sim, "POST", `/__sim/messages/${sent.message.ringCentralId}/status`, {
      messageStatus,
    });
    expect(forced.status).toBe(200);
    reports.push(forced.json);
  }
  for (const report of shuffledWithRepeats(reports, s.seed)) await applyStoreMessage(deps(), log, report);
  const failed = s.outcome === "DELIVERY_FAILED" || s.outcome === "SENDING_FAILED";
  c.messages.push({ at, direction: "OUTBOUND", mms: s.mms, agent: s.agent, failed });
  c.lastOutboundFailed = failed;
  if (failed) reopenedByMessage(c);
}

async function survey(c: Model, at: number) {
  vi.setSystemTime(at);
  const result = await sendCsatSurvey(deps(), async () => sender, {
    conversationId: c.conversationId!,
    templateId,
    windowHours: SURVEY_WINDOW_HOURS,
    cause: { ruleId, depth: 0 },
    now: new Date(at),
  });
  // One survey per window, and none after a delivery failure.
  const sends = !c.surveys.some((v) => v.expiresAt > at) && !c.lastOutboundFailed;
  expect(result.outcome).toBe(sends ? "DONE" : "SKIPPED");
  if (!sends) return;
  c.messages.push({ at, direction: "OUTBOUND", mms: false, agent: null, failed: false });
  c.surveys.push({ at, expiresAt: at + SURVEY_WINDOW_HOURS * HOUR, assignee: c.assignee, answered: false });
}

async function customerAnswers(c: Model, s: Answer, at: number) {
  vi.setSystemTime(at);
  const input = await receiveSmsFromSimulator(sim, {
    from: c.customer,
    to: inboxes[c.inbox].number,
    text: String(s.score),
  });
  for (const _ of s.twice ? [1, 2] : [1]) {
    const stored = await ingestInboundMessage(deps(), input);
    sameConversation(c, stored!.conversationId, at);
  }
  c.messages.push({ at, direction: "INBOUND", mms: false, agent: null, failed: false });
  const open = c.surveys.filter((v) => !v.answered && v.at <= at && v.expiresAt > at).at(-1);
  if (!open) return reopenedByMessage(c); // no survey to answer: an ordinary message
  open.answered = true;
  c.answers.push({ at, score: s.score, agent: open.assignee });
}

type ConversationSpec = typeof conversationSpec extends fc.Arbitrary<infer T> ? T : never;

async function play(spec: ConversationSpec): Promise<Model> {
  const c = newModel(spec.inbox);
  let at = WINDOW_START + spec.startMinute * MINUTE;
  for (const [i, s] of [spec.first, ...spec.steps].entries()) {
    if (i > 0) at += s.gap * MINUTE;
    vi.setSystemTime(at);
    const conversationId = c.conversationId!;
    switch (s.kind) {
      case "text":
        at = await customerTexts(c, s, at);
        break;
      case "reply":
        await agentWrites(c, s, at);
        break;
      case "archive":
        await archiveConversation(deps(), s.agent === null ? null : agents[s.agent]!.viewer, conversationId);
        if (c.status === "OPEN") [c.status, c.archivedAt] = ["ARCHIVED", at];
        break;
      case "reopen":
        await reopenConversation(deps(), agents[s.agent]!.viewer, conversationId);
        [c.status, c.archivedAt] = ["OPEN", null];
        break;
      case "assign":
        await assignConversation(deps(), agents[s.agent]!.viewer, conversationId, agents[s.agent]!.id);
        c.assignee = s.agent;
        break;
      case "survey":
        await survey(c, at);
        if (s.answer) {
          at += s.answer.after * MINUTE;
          await customerAnswers(c, s.answer, at);
        }
        break;
      case "answer":
        await customerAnswers(c, s, at);
        break;
    }
  }
  return c;
}

// --- the naive count --------------------------------------------------------------------------------

/** One thing the README says a figure counts, at the instant it counts, for the inbox and agent it counts for. */
type Counted = { at: number; inbox: InboxName; agent: number | null } & (
  | { kind: "message"; direction: "INBOUND" | "OUTBOUND"; mms: boolean; failed: boolean }
  | { kind: "opened" }
  | { kind: "closed"; seconds: number }
  | { kind: "firstResponse"; seconds: number | null }
  | { kind: "csat"; score: number }
);

/** README "Texts" and "CSAT", applied to one conversation as the test followed it. */
function countedOf(c: Model): Counted[] {
  const where = { inbox: c.inbox };
  const counted: Counted[] = c.messages.map((m) => ({
    ...where,
    kind: "message",
    at: m.at,
    agent: m.agent,
    direction: m.direction,
    mms: m.mms,
    failed: m.failed,
  }));
  // Opened when created; closed while archived, at that time — both for whoever is assigned now.
  counted.push({ ...where, kind: "opened", at: c.openedAt!, agent: c.assignee });
  if (c.status === "ARCHIVED") {
    const seconds = (c.archivedAt! - c.openedAt!) / 1000;
    counted.push({ ...where, kind: "closed", at: c.archivedAt!, agent: c.assignee, seconds });
  }
  // From the customer's first message to the first a person sent after it, for that person.
  const inbound = c.messages.filter((m) => m.direction === "INBOUND").map((m) => m.at);
  if (inbound.length > 0) {
    const first = Math.min(...inbound);
    const response = c.messages
      .filter((m) => m.direction === "OUTBOUND" && m.agent !== null && m.at >= first)
      .sort((a, b) => a.at - b.at)[0];
    counted.push({
      ...where,
      kind: "firstResponse",
      at: first,
      agent: response?.agent ?? null,
      seconds: response ? (response.at - first) / 1000 : null,
    });
  }
  for (const a of c.answers) counted.push({ ...where, kind: "csat", at: a.at, agent: a.agent, score: a.score });
  return counted;
}

function duration(values: number[]) {
  return {
    count: values.length,
    averageSeconds: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
    medianSeconds: percentile(values, 0.5),
    p90Seconds: percentile(values, 0.9),
  };
}

function naive(items: Counted[]): Pick<Figures, "sms" | "csat"> {
  const messages = items.flatMap((i) => (i.kind === "message" ? [i] : []));
  const closed = items.flatMap((i) => (i.kind === "closed" ? [i.seconds] : []));
  const responses = items.flatMap((i) => (i.kind === "firstResponse" && i.seconds !== null ? [i.seconds] : []));
  const scores = items.flatMap((i) => (i.kind === "csat" ? [i.score] : []));
  return {
    sms: {
      conversationsOpened: items.filter((i) => i.kind === "opened").length,
      conversationsClosed: closed.length,
      inbound: messages.filter((m) => m.direction === "INBOUND").length,
      outbound: messages.filter((m) => m.direction === "OUTBOUND").length,
      mms: messages.filter((m) => m.mms).length,
      deliveryFailures: messages.filter((m) => m.failed).length,
      firstResponse: duration(responses),
      resolution: duration(closed),
    },
    csat: {
      responses: scores.length,
      averageScore: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
      distribution: [1, 2, 3, 4, 5].map((score) => scores.filter((s) => s === score).length),
    },
  };
}

function expectTexts(figures: Figures | undefined, items: Counted[], label: string) {
  const none = naive([]);
  const actual = figures ? { sms: figures.sms, csat: figures.csat } : none;
  expect({ label, ...actual }).toEqual({ label, ...naive(items) });
}

const query = fc.record({
  fromHour: fc.integer({ min: -48, max: WINDOW_DAYS * 24 }),
  hours: fc.integer({ min: 1, max: 60 * 24 }),
  granularity: fc.constantFrom<Granularity>("HOUR", "DAY", "WEEK"),
  timeZone: fc.constantFrom(...ZONES),
});

const everything: Counted[] = [];

async function checkQuery(q: typeof query extends fc.Arbitrary<infer T> ? T : never) {
  const hours = q.granularity === "HOUR" ? Math.min(q.hours, 31 * 24) : q.hours;
  const from = WINDOW_START + q.fromHour * HOUR;
  const to = from + hours * HOUR;
  const result: AnalyticsResult = await analytics(api.app.db.prisma, admin, {
    from: new Date(from),
    to: new Date(to),
    timeZone: q.timeZone,
    granularity: q.granularity,
  });
  const items = everything.filter((i) => i.at >= from && i.at < to);
  const where = `${q.granularity} ${q.timeZone} ${new Date(from).toISOString()}+${hours}h`;
  expectTexts(result.totals, items, `${where} totals`);
  // Every bucket, labelled the way a person reads the calendar in that zone.
  const labels = result.series.map((b) => bucketLabel(b.start.getTime(), q.timeZone, q.granularity));
  expect(new Set(labels).size).toBe(labels.length);
  for (const [i, bucket] of result.series.entries()) {
    const label = labels[i]!;
    const own = items.filter((item) => bucketLabel(item.at, q.timeZone, q.granularity) === label);
    expectTexts(bucket.figures, own, `${where} bucket ${label}`);
  }
  for (const item of items) expect(labels).toContain(bucketLabel(item.at, q.timeZone, q.granularity));
  for (const name of ["X", "Y"] as const) {
    const own = items.filter((i) => i.inbox === name);
    const { id, channelId } = inboxes[name];
    expectTexts(result.byInbox.find((r) => r.inboxId === id)?.figures, own, `${where} inbox ${name}`);
    expectTexts(result.byChannel.find((r) => r.channelId === channelId)?.figures, own, `${where} channel ${name}`);
  }
  const known = [inboxes.X.id, inboxes.Y.id];
  expect(result.byInbox.filter((r) => !known.includes(r.inboxId!))).toEqual([]);
  for (const index of [0, 1, 2, null]) {
    const id = index === null ? null : agents[index]!.id;
    const own = items.filter((i) => i.agent === index);
    expectTexts(result.byAgent.find((r) => r.agentId === id)?.figures, own, `${where} agent ${index ?? "none"}`);
  }
}

describe("text and CSAT analytics agree with a count by hand", () => {
  it("random conversations (shuffled, repeated notifications) and random ranges, granularities and zones", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(conversationSpec, { minLength: 1, maxLength: 3 }),
        fc.array(query, { minLength: 1, maxLength: 3 }),
        async (specs, queries) => {
          for (const spec of specs) everything.push(...countedOf(await play(spec)));
          await consumer.drain();
          for (const q of queries) await checkQuery(q);
        },
      ),
      { numRuns: 25 },
    );
    // The histories did exercise what the figures count.
    const kinds = new Set(everything.map((i) => (i.kind === "message" && i.failed ? "failure" : i.kind)));
    expect([...kinds].sort()).toEqual(["closed", "csat", "failure", "firstResponse", "message", "opened"]);
  }, 300_000);

  it("a rebuild from the stored history equals the figures the consumer kept", async () => {
    const snapshot = () => analyticsSnapshot(api.app.db.prisma);
    const incremental = await snapshot();
    expect(incremental.csat.length).toBe(everything.filter((i) => i.kind === "csat").length);
    await rebuildAnalytics(api.app.db.prisma);
    expect(await snapshot()).toEqual(incremental);
  });
});
