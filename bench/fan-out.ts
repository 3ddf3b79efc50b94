// Fan-out: one inbox event to 1,000 and 5,000 `conversationEvents` subscribers (one WebSocket each,
// agents of the inbox): delivered messages/s = subscribers ÷ (the mutation sent → the last
// subscriber has the event). Baseline: bare graphql-ws + the same pub/sub (src/pubsub.ts on Redis),
// no database, no auth (bench/bare-graphql-ws.ts), with the same selection set.
import path from "node:path";
import { benchDir, envInt, envInts, forkLoad, globalId, isMain, machineFacts, newReport, redisUrl, startBenchApp, writeReport, type Report } from "./harness.ts";
import { startBareGraphqlWs } from "./bare-graphql-ws.ts";

const SUBSCRIPTION = `subscription($inbox: ID!) { conversationEvents(inboxId: $inbox) { cursor type createdAt conversation { id status assignee { name } } } }`;
const ADD_COMMENT = `mutation($c: ID!, $b: String!) { addComment(conversationId: $c, body: $b) { __typename ... on Error { code message } } }`;

export async function run(): Promise<Report> {
  const sizes = envInts("BENCH_SUBSCRIBERS", [1000, 5000]);
  const runs = envInt("BENCH_RUNS", 5);
  const userCount = envInt("BENCH_USERS", 50);
  let statements = 0;
  const report = newReport({
    scenario: "fan-out",
    title: "Fan-out: one inbox event to many conversationEvents subscribers",
    command: "npm run bench:fan-out",
    description: [
      `N graphql-ws clients (one WebSocket each, spread over ${userCount} agents of the inbox) subscribe to`,
      "`conversationEvents(inboxId)` selecting `cursor type createdAt conversation { id status assignee { name } }`.",
      "One `addComment` mutation (HTTP) makes one inbox event; the figure is N ÷ (mutation sent → the last subscriber has",
      "it), in delivered messages/s, one sample per event. Baseline: bare graphql-ws + the same pub/sub (src/pubsub.ts on",
      "Redis), no database, no auth, the same selection (the conversation travels in the event); triggered by an HTTP POST.",
      "The clients live in the load generator's process.",
    ].join("\n"),
    parameters: { BENCH_SUBSCRIBERS: sizes.join(","), BENCH_RUNS: runs, BENCH_USERS: userCount },
    machine: await machineFacts(),
  });
  const load = await forkLoad(path.join(benchDir, "subscribers-load.ts"));
  const bench = await startBenchApp({ label: "fanout", onQuery: () => void (statements += 1) });
  const bare = await startBareGraphqlWs(redisUrl);
  try {
    const admin = await bench.createUser({ email: "admin@example.com", role: "ADMIN" });
    const agents: { id: string; token: string }[] = [];
    for (let i = 0; i < userCount; i++) agents.push(await bench.createUser({ email: `agent-${i}@example.com` }));
    const prisma = bench.app.db.prisma;
    const inbox = await prisma.inbox.create({ data: { name: "Support", members: { create: agents.map((a) => ({ userId: a.id })) } } });
    const conversation = await prisma.conversation.create({
      data: { status: "OPEN", assigneeId: agents[0]!.id, inboxes: { create: { inboxId: inbox.id } } },
    });
    for (const size of sizes) {
      const label = `${size.toLocaleString("en-US")} subscribers`;
      const measure = async (target: "switchboard" | "baseline") => {
        const switchboard = target === "switchboard";
        const connected = await load.call<{ connected: number; errors: number; lastError: string }>("connect", {
          url: switchboard ? bench.wsUrl : bare.wsUrl,
          count: size,
          tokens: switchboard ? agents.map((a) => a.token) : [undefined],
          query: SUBSCRIPTION,
          variables: { inbox: switchboard ? globalId("Inbox", inbox.id) : inbox.id },
          settleMs: 1000 + size / 5,
        });
        if (connected.errors > 0) throw new Error(`${target}: ${connected.errors} subscription errors: ${connected.lastError}`);
        const trigger = (i: number) =>
          load.call<{ ms: number | null; delivered: number; errors: number; lastError: string }>("trigger", {
            url: switchboard ? `${bench.url}/graphql` : `${bare.url}/publish`,
            headers: switchboard ? { authorization: `Bearer ${admin.token}` } : {},
            body: switchboard ? { query: ADD_COMMENT, variables: { c: globalId("Conversation", conversation.id), b: `comment ${i}` } } : { inboxId: inbox.id },
            expect: size,
          });
        await trigger(-1); // warm-up
        const rates: number[] = [];
        const statementsBefore = statements;
        let incomplete = 0;
        for (let r = 0; r < runs; r++) {
          const result = await trigger(r);
          if (result.ms === null) incomplete += 1;
          else rates.push((size / result.ms) * 1000);
          if (result.errors > 0) throw new Error(`${target}: ${result.errors} subscription errors: ${result.lastError}`);
        }
        const perEvent = (statements - statementsBefore) / runs;
        await load.call("disconnect");
        return { rates, incomplete, perEvent };
      };
      const subject = await measure("switchboard");
      const baseline = await measure("baseline");
      console.log(`${label}: ${subject.rates.map((r) => r.toFixed(0)).join(", ")} msg/s; baseline ${baseline.rates.map((r) => r.toFixed(0)).join(", ")}`);
      report.rows.push({
        case: label,
        metric: "delivered messages/s",
        unit: "msg/s",
        samples: subject.rates,
        baseline: baseline.rates,
        target: "ratio ≥ 0.5",
        met: (_v, _b, ratio) => ratio >= 0.5,
        note: `${subject.perEvent.toFixed(1)} SQL statements per event (mutation included); ${subject.incomplete} events not fully delivered within 60 s (baseline ${baseline.incomplete}).`,
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
