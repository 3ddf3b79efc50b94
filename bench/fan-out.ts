// Fan-out: one inbox event to 1,000 and 5,000 `conversationEvents` subscribers (one WebSocket each,
// agents of the inbox): delivered messages/s = subscribers ÷ (the mutation sent → the last
// subscriber has the event). Baseline: bare graphql-ws + the same pub/sub (src/pubsub.ts on Redis),
// no database, no auth (bench/bare-graphql-ws.ts), with the same selection set.
import path from "node:path";
import {
  benchDir,
  cpuProfiled,
  settleMs,
  envInt,
  envInts,
  forkLoad,
  globalId,
  isMain,
  machineFacts,
  newReport,
  redisUrl,
  startBenchApp,
  writeReport,
  type Report,
} from "./harness.ts";
import { startBareGraphqlWs } from "./bare-graphql-ws.ts";
import { writeEvents } from "../src/store/event-log.ts";
import type { NewEvent } from "../src/domain/events.ts";

const SUBSCRIPTION =
  "subscription($inbox: ID!) { conversationEvents(inboxId: $inbox) { cursor type createdAt " +
  "conversation { id status assignee { name } } } }";
const ADD_COMMENT =
  "mutation($c: ID!, $b: String!) { addComment(conversationId: $c, body: $b) { __typename " +
  "... on Error { code message } } }";

export async function run(): Promise<Report> {
  const sizes = envInts("BENCH_SUBSCRIBERS", [1000, 5000]);
  const runs = envInt("BENCH_RUNS", 5);
  const warmupEvents = envInt("BENCH_WARMUP_EVENTS", 5);
  const userCount = envInt("BENCH_USERS", 50);
  let statements = 0;
  const report = newReport({
    scenario: "fan-out",
    title: "Fan-out: one inbox event to many conversationEvents subscribers",
    command: "npm run bench:fan-out",
    description: [
      `N graphql-ws clients (one WebSocket each, spread over ${userCount} agents of the inbox) subscribe to`,
      "`conversationEvents(inboxId)` selecting `cursor type createdAt conversation { id status assignee { name } }`.",
      "The main figure: one inbox event, PUBLISHed on Redis exactly as Switchboard publishes it after a " +
        "commit, reaches all N;",
      "N ÷ (publish → the last subscriber has it) in delivered messages/s, one sample per event. End to end: " +
        "the same after an",
      "`addComment` mutation over HTTP (Switchboard) or a bare HTTP POST that publishes (baseline). Baseline: " +
        "bare graphql-ws +",
      "the same pub/sub (src/pubsub.ts on Redis), no database, no auth, the same selection (the conversation " +
        "travels in the event).",
      `The clients live in the load generator's process. Before the measured events, ${warmupEvents} warm-up ` +
        "events (each a publish and a",
      "mutation) for either server: the first events run the per-subscriber path before V8 optimised it.",
    ].join("\n"),
    parameters: {
      BENCH_SUBSCRIBERS: sizes.join(","),
      BENCH_RUNS: runs,
      BENCH_WARMUP_EVENTS: warmupEvents,
      BENCH_USERS: userCount,
    },
    machine: await machineFacts(),
  });
  const load = await forkLoad(path.join(benchDir, "subscribers-load.ts"));
  const bench = await startBenchApp({
    label: "fanout",
    onQuery: () => {
      statements += 1;
    },
  });
  const bare = await startBareGraphqlWs(redisUrl);
  try {
    const admin = await bench.createUser({ email: "admin@example.com", role: "ADMIN" });
    const agents: { id: string; token: string }[] = [];
    for (let i = 0; i < userCount; i++) agents.push(await bench.createUser({ email: `agent-${i}@example.com` }));
    const prisma = bench.app.db.prisma;
    const inbox = await prisma.inbox.create({
      data: { name: "Support", members: { create: agents.map((a) => ({ userId: a.id })) } },
    });
    const conversation = await prisma.conversation.create({
      data: { status: "OPEN", assigneeId: agents[0]!.id, inboxes: { create: { inboxId: inbox.id } } },
    });
    // Its own inbox id: the baseline must not publish on a channel Switchboard listens to.
    const bareInbox = crypto.randomUUID();
    for (const size of sizes) {
      const label = `${size.toLocaleString("en-US")} subscribers`;
      const measure = async (target: "switchboard" | "baseline") => {
        const switchboard = target === "switchboard";
        const connected = await load.call<{ connected: number; errors: number; lastError: string }>("connect", {
          url: switchboard ? bench.wsUrl : bare.wsUrl,
          count: size,
          tokens: switchboard ? agents.map((a) => a.token) : [undefined],
          query: SUBSCRIPTION,
          variables: { inbox: switchboard ? globalId("Inbox", inbox.id) : bareInbox },
          settleMs: settleMs(1000 + size / 5),
        });
        if (connected.errors > 0)
          throw new Error(`${target}: ${connected.errors} subscription errors: ${connected.lastError}`);
        const trigger = (i: number) =>
          load.call<{ ms: number | null; delivered: number; errors: number; lastError: string }>("trigger", {
            url: switchboard ? `${bench.url}/graphql` : `${bare.url}/publish`,
            headers: switchboard ? { authorization: `Bearer ${admin.token}` } : {},
            body: switchboard
              ? { query: ADD_COMMENT, variables: { c: globalId("Conversation", conversation.id), b: `comment ${i}` } }
              : { inboxId: bareInbox },
            expect: size,
          });
        // One inbox event as Switchboard publishes it after commit (src/domain/event-log.ts → src/pubsub.ts),
        // PUBLISHed on Redis by the load generator: the same trigger for both servers. Switchboard's API
        // follows its event log's channel in sequence order (src/live-events.ts), so its event is first
        // written to the log (outside the timing) for a real, next sequence.
        const inboxId = switchboard ? inbox.id : bareInbox;
        const tagged: NewEvent = {
          type: "CONVERSATION_TAGGED",
          conversationId: conversation.id,
          inboxIds: [inboxId],
          payload: { activityId: crypto.randomUUID(), actorId: null, tagId: crypto.randomUUID(), tagName: "bench" },
        };
        // The bare server sends back what its message carries.
        const bareMessage = {
          type: tagged.type,
          conversationId: conversation.id,
          inboxIds: [inboxId],
          userIds: [],
          payload: { conversation: { id: conversation.id, status: "OPEN", assignee: { name: "agent-0" } } },
        };
        const publish = async (i: number) => {
          const message = switchboard
            ? (await prisma.$transaction((tx) => writeEvents(tx, [tagged])))[0]!
            : { ...bareMessage, sequence: String(1_000_000 + i), createdAt: new Date().toISOString() };
          return load.call<{ ms: number | null; delivered: number; errors: number; lastError: string }>("publish", {
            channel: switchboard ? `switchboard:all:${bench.app.pubsub.eventLog}` : `switchboard:all:${inboxId}`,
            message,
            expect: size,
          });
        };
        // Warm-up, the same for both servers: the first events run the per-subscriber path before V8
        // has optimised it (Switchboard's path is longer, so it takes more events to get there); a
        // server delivers for hours, so the steady state is what is measured.
        for (let w = 1; w <= warmupEvents; w++) {
          await trigger(-w);
          await publish(-w);
        }
        const rates: number[] = [];
        const endToEnd: number[] = [];
        const statementsBefore = statements;
        let incomplete = 0;
        // CPU time of this process (the server's; the clients run in the load generator) per delivered
        // message: steadier than wall-clock rates on a shared machine.
        const cpuBefore = process.cpuUsage();
        // BENCH_CPU_PROF=1: a CPU profile of the measured events (the server runs in this process).
        await cpuProfiled(`fan-out-${target}-${size}`, async () => {
          for (let r = 0; r < runs; r++) {
            const published = await publish(r);
            if (published.ms === null) incomplete += 1;
            else rates.push((size / published.ms) * 1000);
            const triggered = await trigger(r);
            if (triggered.ms === null) incomplete += 1;
            else endToEnd.push((size / triggered.ms) * 1000);
            if (triggered.errors > 0)
              throw new Error(`${target}: ${triggered.errors} subscription errors: ${triggered.lastError}`);
          }
        });
        const cpu = process.cpuUsage(cpuBefore);
        const cpuPerMessage = (cpu.user + cpu.system) / (2 * runs * size);
        const perEvent = (statements - statementsBefore) / (2 * runs);
        await load.call("disconnect");
        return { rates, endToEnd, incomplete, perEvent, cpuPerMessage };
      };
      const subject = await measure("switchboard");
      const baseline = await measure("baseline");
      console.log(
        `${label}: ${subject.rates.map((r) => r.toFixed(0)).join(", ")} msg/s; baseline ` +
          `${baseline.rates.map((r) => r.toFixed(0)).join(", ")}`,
      );
      const cpuNote =
        `server CPU per delivered message ${subject.cpuPerMessage.toFixed(1)} µs (baseline ` +
        `${baseline.cpuPerMessage.toFixed(1)} µs, ratio ` +
        `${(baseline.cpuPerMessage / subject.cpuPerMessage).toFixed(2)})`;
      console.log(`${label}: ${cpuNote}`);
      report.rows.push({
        case: label,
        metric: "delivered messages/s (event published → last subscriber)",
        unit: "msg/s",
        samples: subject.rates,
        baseline: baseline.rates,
        target: "ratio ≥ 0.5",
        met: (_v, _b, ratio) => ratio >= 0.5,
        note:
          `${cpuNote}, over all the measured events; ${subject.perEvent.toFixed(1)} SQL statements per ` +
          "event on average (half of the events come with their addComment mutation); " +
          `${subject.incomplete} events not fully delivered within 60 s (baseline ${baseline.incomplete}).`,
      });
      report.rows.push({
        case: label,
        metric: "delivered messages/s (addComment mutation sent → last subscriber)",
        unit: "msg/s",
        samples: subject.endToEnd,
        baseline: baseline.endToEnd,
        note:
          "End to end: Switchboard's figure includes the mutation's transaction; the baseline's trigger is " +
          "a bare HTTP POST that publishes.",
      });
    }
  } finally {
    await load.close();
    await bare.close();
    await bench.close();
  }
  writeReport(report);
  return report;
}

if (isMain(import.meta.url)) {
  await run();
  process.exit(0);
}
