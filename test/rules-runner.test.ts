// Issue 14: rules that act, end to end — the simulator plays calls, the worker ingests them, the rule
// runner (started as the worker process starts it, with an injected clock) acts, and everything is
// observed through GraphQL. The starter rule archives an abandoned call and leaves an answered one
// alone, also when RingCentral's notifications arrive reversed (the answered call then passes
// through ABANDONED); a restarted runner acts exactly once; business hours; round-robin.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import {
  connectVoiceChannel,
  simControl,
  startTestSimulator,
  startTestWorker,
  workerFor,
  type Simulator,
} from "./support/simulator.ts";
import { startRuleRunner, type RuleRunner } from "../src/rules/runner.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { createLogger } from "../src/logger.ts";
import type { RingCentralWorker } from "../src/integrations/ringcentral/worker.ts";

let sim: Simulator;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inbox: Awaited<ReturnType<typeof seedInbox>>;
let worker: RingCentralWorker;
let runner: RuleRunner;

const MAIN_NUMBER = "+18003151571";
const AGENT_EXTENSION = "809646016";
/** The simulator's call queue "Support" (members: the dispatcher, alice, bob) and its number. */
const QUEUE_NUMBER = "+16505550199";
const DISPATCHER_EXTENSION = "979428016";
const QUIET_MS = 60_000;
/** The runner's clock: moved by the tests only. */
let clock = new Date("2026-03-02T15:00:00Z");

function startRunner(): RuleRunner {
  return startRuleRunner({
    prisma: api.app.db.prisma,
    pubsub: api.app.pubsub,
    log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    leases: inProcessLeases(),
    smsSender: () => Promise.reject(new Error("no SMS in these tests")),
    now: () => clock,
    quietMs: QUIET_MS,
    pollMs: 3_600_000, // the tests drain it
  });
}

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi();
  admin = await api.createUser("ADMIN", "rules-admin");
  await api.app.db.prisma.user.update({ where: { id: admin.id }, data: { email: "admin@switchboard.test" } });
  inbox = await seedInbox(api.app, "Main line", [admin.id]);
  ({ worker } = await startTestWorker(api.app, sim));
  await connectVoiceChannel(api.app, worker, MAIN_NUMBER, inbox.id);
  // From the log's end now (resumed, so nothing is missed while the subscription starts).
  const last = await api.app.db.prisma.event.findFirst({ orderBy: { sequence: "desc" } });
  callUpdates = subscribe(
    api.wsClient(admin.token),
    `subscription($inbox: ID!, $after: String) { callUpdated(inboxId: $inbox, after: $after) { call { status fromNumber } } }`,
    { inbox: inbox.globalId, after: String(last?.sequence ?? 0) },
  );
  runner = startRunner();
  await runner.drain(); // the cursor starts at the log's end
});
afterAll(async () => {
  callUpdates?.unsubscribe();
  await runner?.close();
  await worker?.close();
  await api?.close();
  await sim?.close();
});

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const result = await api.request<any, any>(query, variables, admin.token);
  expect(result.errors).toBeUndefined();
  return result.data;
}

async function createRule(input: Record<string, unknown>) {
  const data = await gql(
    `mutation($input: RuleInput!) { createRule(input: $input) { __typename ... on RulePayload { rule { id } } ... on Error { message } } }`,
    { input: { enabled: true, ...input } },
  );
  expect(data.createRule.__typename).toBe("RulePayload");
  return data.createRule.rule.id as string;
}

const setEnabled = (id: string, enabled: boolean) =>
  gql(`mutation($id: ID!) { ${enabled ? "enableRule" : "disableRule"}(ruleId: $id) { __typename } }`, { id });

/** Every `callUpdated` of the main inbox (opened in beforeAll). */
let callUpdates: ReturnType<typeof subscribe>;
let markers = 0;

/**
 * Waits until the worker applied every notification the simulator published so far. A stale
 * notification changes nothing and tells nothing, so a marker call follows: one connection delivers
 * in order, so once the marker is seen missed the worker has received everything before it, and
 * `idle()` waits for what it received (other calls' bursts apply concurrently) to be applied.
 */
async function applied() {
  markers += 1;
  const from = `+1415555${String(9000 + markers)}`;
  await simControl(sim, "POST", "scenarios", { type: "missed", extensionId: AGENT_EXTENSION, to: MAIN_NUMBER, from });
  for (let seen = 1; ; seen += 1) {
    const events = await callUpdates.until(seen);
    const call = (events[seen - 1]!.data as any).callUpdated.call;
    if (call.fromNumber === from && call.status === "MISSED") break;
  }
  await worker.idle();
}

/** Every call played (with the probes of reversed ones). */
const played: string[] = [];

/** A scripted call whose notifications the simulator delivers newest first (`reversed`). */
async function playCall(scenario: Record<string, unknown>, options: { reversed?: boolean } = {}) {
  if (options.reversed) {
    // The same scenario once, to count its notifications; then held and delivered newest first.
    const probe = await simControl<{ telephonySessionId: string }>(sim, "POST", "scenarios", scenario);
    await applied();
    played.push(probe.telephonySessionId);
    const published = await simControl<{ records: { body: { telephonySessionId?: string } }[] }>(
      sim,
      "GET",
      "notifications",
    );
    const count = published.records.filter((r) => r.body.telephonySessionId === probe.telephonySessionId).length;
    await simControl(sim, "POST", "faults/notifications", { type: "reorder", count });
  }
  const { telephonySessionId } = await simControl<{ telephonySessionId: string }>(sim, "POST", "scenarios", scenario);
  await applied();
  played.push(telephonySessionId);
  const call = await api.app.db.prisma.call.findUniqueOrThrow({ where: { telephonySessionId } });
  return { callId: call.id, conversationId: call.conversationId };
}

const CONVERSATION = `query($id: ID!) { node(id: $id) { ... on Conversation { status assignee { email }
  tags { name }
  calls(first: 2) { edges { node { status } } }
  timeline(first: 50) { edges { node { __typename ... on Activity { type actor { id } rule { name } } } } } } } }`;

const newTag = async (name: string) =>
  Buffer.from(`Tag:${(await api.app.db.prisma.tag.create({ data: { name } })).id}`).toString("base64");

const tagNames = async (conversationId: string) =>
  (await conversationNode(conversationId)).tags.map((t: any) => t.name).sort();

const conversationNode = async (conversationId: string) =>
  (await gql(CONVERSATION, { id: Buffer.from(`Conversation:${conversationId}`).toString("base64") })).node;

async function starterRuleId(): Promise<string> {
  const data = await gql(`{ rules { id name } }`);
  return data.rules.find((r: any) => r.name === "Archive abandoned calls").id;
}

describe("the starter rule 'Archive abandoned calls'", () => {
  const abandoned = { type: "abandoned", extensionId: AGENT_EXTENSION, to: MAIN_NUMBER, from: "+14155550801" };
  const answered = {
    type: "inbound",
    extensionId: AGENT_EXTENSION,
    to: MAIN_NUMBER,
    from: "+14155550802",
    hangup: "caller",
  };

  it("archives an abandoned call once its outcome settled, and leaves an answered one alone — also with notifications reversed and the runner restarted", async () => {
    const starter = await starterRuleId();
    await setEnabled(starter, true);
    try {
      const calls = {
        abandoned: await playCall(abandoned),
        answered: await playCall(answered),
        abandonedReversed: await playCall({ ...abandoned, from: "+14155550803" }, { reversed: true }),
        answeredReversed: await playCall({ ...answered, from: "+14155550804" }, { reversed: true }),
      };
      await runner.drain();
      // Ended, but not settled: nothing is archived before the quiet period.
      for (const call of Object.values(calls))
        expect((await conversationNode(call.conversationId)).status).toBe("OPEN");

      // The runner restarts mid-stream (a deploy); the new one picks up from the durable cursor.
      await runner.close();
      runner = startRunner();
      clock = new Date(clock.getTime() + QUIET_MS + 1000);
      await runner.drain();
      await runner.drain();

      for (const key of ["abandoned", "abandonedReversed"] as const) {
        const conversation = await conversationNode(calls[key].conversationId);
        expect(conversation.calls.edges[0].node.status, key).toBe("ABANDONED");
        expect(conversation.status, key).toBe("ARCHIVED");
        const archived = conversation.timeline.edges.map((e: any) => e.node).filter((n: any) => n.type === "ARCHIVED");
        expect(archived, key).toEqual([
          { __typename: "Activity", type: "ARCHIVED", actor: null, rule: { name: "Archive abandoned calls" } },
        ]);
      }
      for (const key of ["answered", "answeredReversed"] as const) {
        const conversation = await conversationNode(calls[key].conversationId);
        expect(conversation.calls.edges[0].node.status, key).toBe("ENDED");
        expect(conversation.status, key).toBe("OPEN");
      }

      // Restarted again: every rule acted exactly once.
      await runner.close();
      runner = startRunner();
      await runner.drain();
      const runs = await gql(`query($id: ID!) { ruleRuns(ruleId: $id) { status actions conversation { id } } }`, {
        id: starter,
      });
      const conversationIds = runs.ruleRuns.map((r: any) => Buffer.from(r.conversation.id, "base64").toString());
      // Every abandoned call played (the reversed ones' probes too), once; no answered one.
      const abandonedCalls = await api.app.db.prisma.call.findMany({
        where: { telephonySessionId: { in: played }, status: "ABANDONED" },
      });
      expect(abandonedCalls).toHaveLength(3);
      expect(conversationIds.sort()).toEqual(abandonedCalls.map((c) => `Conversation:${c.conversationId}`).sort());
      expect(runs.ruleRuns.map((r: any) => r.status)).toEqual(["DONE", "DONE", "DONE"]);
      expect(runs.ruleRuns[0].actions).toEqual([{ type: "ARCHIVE", outcome: "DONE" }]);
      const stats = await gql(`{ rules { name stats { done failed } } }`);
      expect(stats.rules.find((r: any) => r.name === "Archive abandoned calls").stats).toEqual({ done: 3, failed: 0 });
    } finally {
      await setEnabled(starter, false);
    }
  });
});

describe("restarts", () => {
  it("worker and rule runner restarted mid-stream: every rule acts exactly once per call", async () => {
    const since = new Date();
    const rules = [
      await createRule({
        name: "Tag started calls",
        trigger: "INBOUND_CALL_STARTED",
        actions: [{ type: "TAG", tagId: await newTag("call-started") }],
      }),
      await createRule({
        name: "Tag ended calls",
        trigger: "CALL_ENDED",
        actions: [{ type: "TAG", tagId: await newTag("call-ended") }],
      }),
    ];
    try {
      const call = (n: number) => ({
        type: "missed",
        extensionId: AGENT_EXTENSION,
        to: MAIN_NUMBER,
        from: `+141555508${50 + n}`,
      });
      const first = await playCall(call(1));
      await runner.drain(); // the first call started: its start rule acted; its end waits for the quiet period

      // Both stop (a deploy); the worker comes back first and catches up, then a second call plays
      // with no runner reading the log.
      await runner.close();
      await worker.close();
      worker = workerFor(api.app, sim);
      await worker.reconcile();
      const second = await playCall(call(2));

      // The runner comes back; a third call plays while it runs; it stops again before any call settled.
      runner = startRunner();
      await runner.drain();
      const third = await playCall(call(3));
      await runner.drain();
      await runner.close();

      runner = startRunner();
      clock = new Date(clock.getTime() + QUIET_MS + 1000);
      await runner.drain();
      await runner.drain();
      await runner.close();
      runner = startRunner();
      await runner.drain();

      // Every call of the test (the three, and the marker calls `applied` plays) had each rule act once.
      const calls = await api.app.db.prisma.call.findMany({ where: { createdAt: { gte: since } } });
      expect(calls.map((c) => c.conversationId)).toEqual(
        expect.arrayContaining([first, second, third].map((c) => c.conversationId)),
      );
      const conversations = calls.map((c) => `Conversation:${c.conversationId}`).sort();
      for (const rule of rules) {
        const runs = await gql(`query($id: ID!) { ruleRuns(ruleId: $id) { status conversation { id } } }`, {
          id: rule,
        });
        const acted = runs.ruleRuns.map((r: any) => Buffer.from(r.conversation.id, "base64").toString()).sort();
        expect(acted).toEqual(conversations);
        expect(runs.ruleRuns.map((r: any) => r.status)).toEqual(calls.map(() => "DONE"));
      }
      for (const played of [first, second, third])
        expect(await tagNames(played.conversationId)).toEqual(["call-ended", "call-started"]);
    } finally {
      for (const rule of rules) await setEnabled(rule, false);
    }
  });
});

describe("conditions and actions", () => {
  it("a rule with business hours acts only outside them (time injected)", async () => {
    await api.app.db.prisma.inbox.update({
      where: { id: inbox.id },
      data: {
        timeZone: "America/New_York",
        businessHours: [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" })),
        holidays: ["2026-12-25"],
      },
    });
    const tag = await api.app.db.prisma.tag.create({ data: { name: "after-hours" } });
    const rule = await createRule({
      name: "Tag calls after hours",
      trigger: "INBOUND_CALL_STARTED",
      inboxIds: [inbox.globalId],
      conditions: [{ type: "BUSINESS_HOURS", inside: false }],
      actions: [{ type: "TAG", tagId: Buffer.from(`Tag:${tag.id}`).toString("base64") }],
    });
    try {
      const missed = { type: "missed", extensionId: AGENT_EXTENSION, to: MAIN_NUMBER };
      clock = new Date("2026-03-03T15:00:00Z"); // Tuesday 10:00 in New York: open
      const inside = await playCall({ ...missed, from: "+14155550811" });
      await runner.drain();
      clock = new Date("2026-03-03T23:30:00Z"); // Tuesday 18:30 in New York: closed
      const outside = await playCall({ ...missed, from: "+14155550812" });
      await runner.drain();
      clock = new Date("2026-12-25T15:00:00Z"); // a holiday
      const holiday = await playCall({ ...missed, from: "+14155550813" });
      await runner.drain();
      expect((await conversationNode(inside.conversationId)).tags).toEqual([]);
      expect((await conversationNode(outside.conversationId)).tags).toEqual([{ name: "after-hours" }]);
      expect((await conversationNode(holiday.conversationId)).tags).toEqual([{ name: "after-hours" }]);
    } finally {
      await setEnabled(rule, false);
    }
  });

  it("talk-time and wait-time thresholds are judged on the settled call", async () => {
    const tag = async (name: string) =>
      Buffer.from(`Tag:${(await api.app.db.prisma.tag.create({ data: { name } })).id}`).toString("base64");
    const rules = [
      await createRule({
        name: "Tag quick answers",
        trigger: "CALL_ENDED",
        conditions: [
          { type: "CALL_OUTCOME", outcomes: ["ENDED"] },
          { type: "WAIT_TIME", atMostSeconds: 60 },
        ],
        actions: [{ type: "TAG", tagId: await tag("quick-answer") }],
      }),
      await createRule({
        name: "Tag long waits",
        trigger: "CALL_ENDED",
        conditions: [{ type: "WAIT_TIME", atLeastSeconds: 3600 }],
        actions: [{ type: "TAG", tagId: await tag("long-wait") }],
      }),
      await createRule({
        name: "Tag long talks",
        trigger: "CALL_ENDED",
        conditions: [{ type: "TALK_TIME", atLeastSeconds: 600 }],
        actions: [{ type: "TAG", tagId: await tag("long-talk") }],
      }),
      await createRule({
        name: "Tag short talks",
        trigger: "CALL_ENDED",
        conditions: [{ type: "TALK_TIME", atMostSeconds: 600 }],
        actions: [{ type: "TAG", tagId: await tag("short-talk") }],
      }),
    ];
    try {
      const answered = await playCall({
        type: "inbound",
        extensionId: AGENT_EXTENSION,
        to: MAIN_NUMBER,
        from: "+14155550841",
        hangup: "caller",
      });
      const abandoned = await playCall({
        type: "abandoned",
        extensionId: AGENT_EXTENSION,
        to: MAIN_NUMBER,
        from: "+14155550842",
      });
      await runner.drain();
      clock = new Date(clock.getTime() + QUIET_MS + 1000);
      await runner.drain();
      const names = async (id: string) => (await conversationNode(id)).tags.map((t: any) => t.name).sort();
      // Answered at once, talked for seconds; the abandoned call was never talked on (no talk time).
      expect(await names(answered.conversationId)).toEqual(["quick-answer", "short-talk"]);
      expect(await names(abandoned.conversationId)).toEqual([]);
    } finally {
      for (const rule of rules) await setEnabled(rule, false);
    }
  });

  it("round-robin assigns among the inbox's AVAILABLE agents, skipping BUSY ones, evenly", async () => {
    const ana = await api.createUser("AGENT", "rr-ana");
    const bo = await api.createUser("AGENT", "rr-bo");
    const cy = await api.createUser("AGENT", "rr-cy");
    const team = await seedInbox(api.app, "Round robin", [ana.id, bo.id, cy.id]);
    await api.app.db.prisma.user.update({ where: { id: bo.id }, data: { status: "BUSY" } });
    const connection = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
    await api.app.db.prisma.channel.create({
      data: { type: "VOICE", phoneNumber: "+16505550199", inboxId: team.id, connectionId: connection.id },
    });
    await worker.reconcile();
    const rule = await createRule({
      name: "Spread calls",
      trigger: "INBOUND_CALL_STARTED",
      inboxIds: [team.globalId],
      actions: [{ type: "ASSIGN_ROUND_ROBIN" }],
    });
    try {
      const assignees: string[] = [];
      for (const n of [1, 2, 3, 4]) {
        const call = await playCall({
          type: "missed",
          extensionId: "979428016",
          to: "+16505550199",
          from: `+1415555082${n}`,
        });
        await runner.drain();
        assignees.push((await conversationNode(call.conversationId)).assignee?.email);
      }
      expect(assignees.filter((e) => e === bo.email)).toEqual([]);
      expect(assignees.filter((e) => e === ana.email)).toHaveLength(2);
      expect(assignees.filter((e) => e === cy.email)).toHaveLength(2);
    } finally {
      await setEnabled(rule, false);
    }
  });

  it("the dry run names the conversations, and the actions, that enabling the rule then acts on", async () => {
    const tag = await api.app.db.prisma.tag.create({ data: { name: "gave-up" } });
    const rule = await createRule({
      name: "Tag abandoned calls",
      trigger: "CALL_ENDED",
      conditions: [{ type: "CALL_OUTCOME", outcomes: ["ABANDONED"] }],
      actions: [{ type: "TAG", tagId: Buffer.from(`Tag:${tag.id}`).toString("base64") }],
      enabled: false,
    });
    const since = new Date().toISOString();
    await runner.close(); // the history below is played while no runner reads the log
    const abandoned = { type: "abandoned", extensionId: AGENT_EXTENSION, to: MAIN_NUMBER };
    await playCall({ ...abandoned, from: "+14155550831" });
    await playCall({ type: "inbound", extensionId: AGENT_EXTENSION, to: MAIN_NUMBER, from: "+14155550832" });
    await playCall({ ...abandoned, from: "+14155550833" });
    const dry = await gql(
      `query($id: ID!, $since: DateTime!) { dryRunRule(ruleId: $id, since: $since) { conversation { id } actions } }`,
      { id: rule, since },
    );
    expect(dry.dryRunRule).toHaveLength(2);
    expect(dry.dryRunRule[0].actions).toEqual([`tag ${tag.id}`]);
    const tagged = await api.app.db.prisma.conversationTag.count({ where: { tagId: tag.id } });
    expect(tagged).toBe(0); // the dry run changed nothing

    await setEnabled(rule, true);
    runner = startRunner();
    await runner.drain(); // reads the history; the calls' quiet period starts
    clock = new Date(clock.getTime() + QUIET_MS + 1000);
    await runner.drain();
    const runs = await gql(`query($id: ID!) { ruleRuns(ruleId: $id) { status conversation { id } } }`, { id: rule });
    const ids = (list: any[]) => list.map((m) => m.conversation.id).sort();
    expect(ids(runs.ruleRuns)).toEqual(ids(dry.dryRunRule));
    await setEnabled(rule, false);
  });
  it("the queued condition tells a call that waited in a call queue from one rung directly", async () => {
    if (!(await api.app.db.prisma.channel.findFirst({ where: { phoneNumber: QUEUE_NUMBER } })))
      await connectVoiceChannel(api.app, worker, QUEUE_NUMBER, inbox.id);
    const rules = [
      await createRule({
        name: "Tag queued calls",
        trigger: "CALL_ENDED",
        conditions: [{ type: "QUEUED", queued: true }],
        actions: [{ type: "TAG", tagId: await newTag("was-queued") }],
      }),
      await createRule({
        name: "Tag direct calls",
        trigger: "CALL_ENDED",
        conditions: [{ type: "QUEUED", queued: false }],
        actions: [{ type: "TAG", tagId: await newTag("rang-directly") }],
      }),
    ];
    try {
      const queued = await playCall({ type: "queue", answeredBy: DISPATCHER_EXTENSION, from: "+14155550861" });
      const direct = await playCall({
        type: "missed",
        extensionId: AGENT_EXTENSION,
        to: MAIN_NUMBER,
        from: "+14155550862",
      });
      await runner.drain();
      clock = new Date(clock.getTime() + QUIET_MS + 1000);
      await runner.drain();
      expect(await tagNames(queued.conversationId)).toEqual(["was-queued"]);
      expect(await tagNames(direct.conversationId)).toEqual(["rang-directly"]);
    } finally {
      for (const rule of rules) await setEnabled(rule, false);
    }
  });
});
