// Rules (issue 14): what 50 enabled rules cost.
//
// 1. Events/s through the rule runner: a workload of conversations (opened, assigned, commented,
//    archived, as teammates do) is written to the event log while no runner runs; then a runner
//    starts at the workload's first event and the time to read it to its end and act is measured.
//    The 50 rules cover the triggers the workload has; 45 have a condition that never holds (a tag
//    no conversation carries), 5 act (tag the conversation). Baseline, same run: the runner over a
//    workload of the same size with no rule enabled (reading the log alone).
// 2. Ring latency (bench/ring-latency.ts's rig): the same 50 rules enabled and the rule runner
//    running beside the worker, as `switchboard start` runs it, vs. no rule enabled.
//
//   npm run bench:rules   (BENCH_RULE_CONVERSATIONS, BENCH_RUNS, BENCH_AGENTS, BENCH_CALLS, … below)
import type { PrismaClient } from "../src/generated/prisma/client.ts";
import {
  assignIn,
  archiveIn,
  commentIn,
  conversationWithInboxes,
  openConversation,
} from "../src/domain/conversations.ts";
import { inTransaction, type Deps } from "../src/domain/event-log.ts";
import type { RuleTrigger } from "../src/generated/prisma/enums.ts";
import { createRule } from "../src/domain/rules/rules.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { createLogger } from "../src/logger.ts";
import { startRuleRunner, type RuleRunner } from "../src/rules/runner.ts";
import { latestSequence } from "../src/store/event-log.ts";
import { writeCursor } from "../src/store/rule-runs.ts";
import { envInt, isMain, machineFacts, newReport, startBenchApp, writeReport, type Report } from "./harness.ts";
import { startRingRig } from "./ring-latency.ts";

export const RULE_COUNT = 50;
const TRIGGERS: RuleTrigger[] = [
  "CONVERSATION_ASSIGNED",
  "CONVERSATION_ARCHIVED",
  "MESSAGE_RECEIVED",
  "INBOUND_CALL_STARTED",
  "CALL_ENDED",
];

/** 50 enabled rules over the triggers: the first of each trigger acts (tags), the others never match. */
async function createRules(prisma: PrismaClient, adminId: string): Promise<void> {
  const [never, tagged] = await Promise.all([
    prisma.tag.create({ data: { name: "vip (no conversation has it)" } }),
    prisma.tag.create({ data: { name: "seen by a rule" } }),
  ]);
  for (let n = 0; n < RULE_COUNT; n++) {
    const acts = n < TRIGGERS.length;
    await createRule(prisma, adminId, {
      name: `bench rule ${n}`,
      trigger: TRIGGERS[n % TRIGGERS.length]!,
      conditions: acts ? [] : [{ type: "TAG", tagIds: [never.id], present: true }],
      actions: [{ type: "TAG", tagId: tagged.id }],
      enabled: true,
    });
  }
}

const setRulesEnabled = (prisma: PrismaClient, enabled: boolean) =>
  prisma.rule.updateMany({ where: { name: { startsWith: "bench rule" } }, data: { enabled } });

/** Conversations as teammates work them: opened, assigned, commented on, archived (4 events each). */
async function writeWorkload(deps: Deps, inboxId: string, userId: string, conversations: number): Promise<number> {
  const before = await latestSequence(deps.prisma);
  for (let i = 0; i < conversations; i++) {
    await inTransaction(deps, async (tx, log) => {
      const opened = await openConversation(tx, log, { inboxIds: [inboxId] });
      const conversation = await tx.conversation.findUniqueOrThrow({
        where: { id: opened.id },
        include: conversationWithInboxes,
      });
      await assignIn(tx, log, conversation, userId, userId);
      await commentIn(tx, log, conversation, { body: "called back, sorted", authorId: userId });
      await archiveIn(tx, log, conversation, userId);
    });
  }
  return Number((await latestSequence(deps.prisma)) - before);
}

function ruleRunner(deps: Deps): RuleRunner {
  return startRuleRunner({
    ...deps,
    log: createLogger(process.env.BENCH_LOG_LEVEL ?? "silent"),
    leases: inProcessLeases(),
    smsSender: () => Promise.reject(new Error("no SMS in this benchmark")),
    pollMs: 3_600_000,
  });
}

/** Events/s for a runner reading a fresh workload from its first event to the end. */
async function eventsPerSecond(deps: Deps, inboxId: string, userId: string, conversations: number) {
  const start = await latestSequence(deps.prisma);
  const events = await writeWorkload(deps, inboxId, userId, conversations);
  await writeCursor(deps.prisma, "rules", start);
  const started = performance.now();
  const runner = ruleRunner(deps);
  await runner.drain();
  const seconds = (performance.now() - started) / 1000;
  await runner.close();
  return events / seconds;
}

export async function run(): Promise<Report> {
  const conversations = envInt("BENCH_RULE_CONVERSATIONS", 500);
  const runs = envInt("BENCH_RUNS", 3);
  const agents = envInt("BENCH_AGENTS", 100);
  const ring = {
    runs,
    calls: envInt("BENCH_CALLS", 200),
    rate: envInt("BENCH_RATE", 20),
    warmup: envInt("BENCH_WARMUP_CALLS", 40),
  };
  const rungPool = Math.max(1, Math.min(envInt("BENCH_RUNG_AGENTS", 20), agents));
  const report = newReport({
    scenario: "rules",
    title: `Rules: the rule runner's throughput and ring latency with ${RULE_COUNT} enabled rules`,
    command: "npm run bench:rules",
    description: [
      `Events/s: ${conversations} conversations opened, assigned, commented on and archived (4 events each) are`,
      "written to the event log with no runner running; a rule runner then starts at their first event and",
      `reads to the end, acting. ${RULE_COUNT} enabled rules on the conversation, message and call triggers: the`,
      "first of each trigger acts (tags the conversation), the others have a condition that never holds. Baseline, same run: a",
      "runner over a workload of the same size with no rule enabled (reading the log alone). Runs alternate.",
      `Ring latency: bench/ring-latency.ts's measure (simulator → worker → \`incomingCall\`), ${agents} agents`,
      `connected, with the same ${RULE_COUNT} rules enabled and the rule runner running beside the worker (as`,
      "`switchboard start` runs it; the call rules fire on each ring and hang-up), vs. no rule enabled (baseline).",
    ].join("\n"),
    parameters: {
      BENCH_RULE_CONVERSATIONS: conversations,
      BENCH_RUNS: runs,
      BENCH_AGENTS: agents,
      BENCH_CALLS: ring.calls,
      BENCH_RATE: ring.rate,
      BENCH_WARMUP_CALLS: ring.warmup,
    },
    machine: await machineFacts(),
  });

  // 1. Events/s through the runner.
  const bench = await startBenchApp({ label: "rules" });
  try {
    const deps = { prisma: bench.app.db.prisma, pubsub: bench.app.pubsub };
    const admin = await bench.createUser({ email: "admin@example.com", role: "ADMIN" });
    const inbox = await deps.prisma.inbox.create({
      data: { name: "Support", members: { create: [{ userId: admin.id }] } },
    });
    await createRules(deps.prisma, admin.id);
    const withRules: number[] = [];
    const without: number[] = [];
    await setRulesEnabled(deps.prisma, false);
    await eventsPerSecond(deps, inbox.id, admin.id, Math.min(50, conversations)); // warm-up
    for (let r = 0; r < runs; r++) {
      await setRulesEnabled(deps.prisma, false);
      without.push(await eventsPerSecond(deps, inbox.id, admin.id, conversations));
      await setRulesEnabled(deps.prisma, true);
      withRules.push(await eventsPerSecond(deps, inbox.id, admin.id, conversations));
    }
    const runsOf = await deps.prisma.ruleRun.count();
    console.log(
      `events/s: with rules ${withRules.map((v) => v.toFixed(0))}, without ${without.map((v) => v.toFixed(0))}`,
    );
    report.rows.push({
      case: `${RULE_COUNT} enabled rules, ${(conversations * 4).toLocaleString("en-US")} events per run`,
      metric: "events/s through the rule runner",
      unit: "/s",
      samples: withRules,
      baseline: without,
      note: `per run (${runs} runs); ${runsOf} rule runs acted in all; baseline: the same workload size, no rule enabled.`,
    });
  } finally {
    await bench.close();
  }

  // 2. Ring latency with the rules and the runner, vs. without.
  const rig = await startRingRig({ agents, rungPool });
  let runner: RuleRunner | null = null;
  try {
    const prisma = rig.bench.app.db.prisma;
    const admin = await rig.bench.createUser({ email: "rules-admin@example.com", role: "ADMIN" });
    await createRules(prisma, admin.id);
    await setRulesEnabled(prisma, false);
    const deps = { prisma, pubsub: rig.bench.app.pubsub };
    runner = ruleRunner(deps);
    await runner.drain();
    const population = rig.agents.slice(0, agents);
    const baseline = await rig.measure("switchboard", population, ring);
    await setRulesEnabled(prisma, true);
    const subject = await rig.measure("switchboard", population, ring);
    await runner.drain();
    const acted = await prisma.ruleRun.count();
    console.log(`ring: with rules ${subject.lost} lost, without ${baseline.lost} lost; ${acted} rule runs`);
    report.rows.push({
      case: `${agents.toLocaleString("en-US")} agents, ${RULE_COUNT} enabled rules`,
      metric: "ring latency",
      unit: "ms",
      samples: subject.latencies,
      baseline: baseline.latencies,
      stat: "p99",
      target: "no worse than without rules",
      met: (value, base) => value.p99 <= base.p99 * 1.1,
      note:
        `${subject.lost} of ${subject.latencies.length + subject.lost} rings lost (baseline: ${baseline.lost}); ` +
        `${subject.statementsPerCall.toFixed(1)} SQL statements per call with rules ` +
        `(${baseline.statementsPerCall.toFixed(1)} without); ${acted} rule runs acted; baseline: no rule enabled, ` +
        "measured first; met = p99 within 10% of the baseline's.",
    });
  } finally {
    await runner?.close();
    await rig.close();
  }
  writeReport(report);
  return report;
}

if (isMain(import.meta.url)) {
  await run();
  process.exit(0);
}
