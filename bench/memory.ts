// Memory: RSS per idle subscribed client at 10,000 sockets (each an agent's graphql-ws client
// holding `incomingCall`), and the heap after 10,000 subscribe/unsubscribe cycles. Switchboard runs
// in this process (measured after full GCs); the clients live in the load generator's process.
// Baselines: the process RSS with no clients; per client, a bare graphql-ws server (same pub/sub, no
// database, no auth) in a process of its own with the same number of idle subscribed sockets; for
// the heap, the heap before the cycles.
import path from "node:path";
import {
  benchDir,
  settleMs,
  envInt,
  forkLoad,
  isMain,
  machineFacts,
  newReport,
  settledMemory,
  sleep,
  startBenchApp,
  writeReport,
  type Report,
} from "./harness.ts";

const INCOMING_CALL = "subscription { incomingCall { cursor callerNumber call { id } } }";
const BARE = "subscription($inbox: ID!) { conversationEvents(inboxId: $inbox) { cursor type } }";
const KB = 1024;

export async function run(): Promise<Report> {
  const sockets = envInt("BENCH_SOCKETS", 10_000);
  const cycles = envInt("BENCH_CYCLES", 10_000);
  const cycleSockets = Math.max(1, Math.min(envInt("BENCH_CYCLE_SOCKETS", 100), sockets));
  const runs = envInt("BENCH_RUNS", 3);
  const userCount = envInt("BENCH_USERS", 50);
  const report = newReport({
    scenario: "memory",
    title: "Memory: idle subscribed clients and subscribe/unsubscribe cycles",
    command: "npm run bench:memory",
    description: [
      `RSS per client = (RSS with ${sockets.toLocaleString("en-US")} idle sockets, each an agent's graphql-ws ` +
        `client subscribed to \`incomingCall\`,`,
      "− RSS with no clients) ÷ sockets, Switchboard measured in its own process after full GCs (spread over " +
        `${userCount} agents).`,
      "Baselines in the same run: the process RSS with no clients, and per client a bare graphql-ws server " +
        "(same pub/sub, no",
      "database, no auth) in a process of its own holding as many idle subscribed sockets.",
      `Heap: ${cycleSockets} sockets stay connected and subscribed; heap used (after full GCs) before, then ` +
        `after ${cycles.toLocaleString("en-US")}`,
      "subscribe/unsubscribe cycles spread over them (each ends subscribed again); and heap used before the " +
        "10,000 sockets",
      "connected vs after they all disconnected. One sample per run.",
    ].join("\n"),
    parameters: {
      BENCH_SOCKETS: sockets,
      BENCH_CYCLES: cycles,
      BENCH_CYCLE_SOCKETS: cycleSockets,
      BENCH_RUNS: runs,
      BENCH_USERS: userCount,
    },
    machine: await machineFacts(),
  });
  const load = await forkLoad(path.join(benchDir, "subscribers-load.ts"));
  const bareProcess = await forkLoad(path.join(benchDir, "bare-server-process.ts"));
  const bench = await startBenchApp({ label: "memory" });
  try {
    const bare = await bareProcess.call<{ wsUrl: string }>("start");
    const agents: string[] = [];
    for (let i = 0; i < userCount; i++)
      agents.push((await bench.createUser({ email: `agent-${i}@example.com` })).token);
    const connect = async (count: number) => {
      const result = await load.call<{ connected: number; errors: number; lastError: string }>("connect", {
        url: bench.wsUrl,
        count,
        tokens: agents,
        query: INCOMING_CALL,
        variables: {},
        settleMs: settleMs(1000 + count / 10),
      });
      if (result.errors > 0) throw new Error(`${result.errors} subscription errors: ${result.lastError}`);
    };
    // Warm up (code paths compiled, pools open) before any baseline.
    await connect(Math.min(200, sockets));
    await load.call("disconnect");

    const perClient: number[] = [];
    const bareperClient: number[] = [];
    const rssWith: number[] = [];
    const rssWithout: number[] = [];
    const heapAfter: number[] = [];
    const heapBefore: number[] = [];
    const heapEmpty: number[] = [];
    const heapEmptyAgain: number[] = [];
    for (let r = 0; r < runs; r++) {
      // Switchboard: idle subscribed sockets.
      await sleep(settleMs(500));
      const empty = await settledMemory();
      await connect(sockets);
      const full = await settledMemory();
      perClient.push((full.rss - empty.rss) / sockets / KB);
      rssWithout.push(empty.rss / 2 ** 20);
      rssWith.push(full.rss / 2 ** 20);
      await load.call("disconnect");
      await sleep(settleMs(1000));
      const emptyAgain = await settledMemory();
      heapEmpty.push(empty.heapUsed / 2 ** 20);
      heapEmptyAgain.push(emptyAgain.heapUsed / 2 ** 20);

      // The bare graphql-ws server, same sockets.
      const bareEmpty = await bareProcess.call<NodeJS.MemoryUsage>("memory");
      const connected = await load.call<{ errors: number; lastError: string }>("connect", {
        url: bare.wsUrl,
        count: sockets,
        tokens: [undefined],
        query: BARE,
        variables: { inbox: crypto.randomUUID() },
        settleMs: settleMs(1000 + sockets / 10),
      });
      if (connected.errors > 0)
        throw new Error(`bare: ${connected.errors} subscription errors: ${connected.lastError}`);
      const bareFull = await bareProcess.call<NodeJS.MemoryUsage>("memory");
      bareperClient.push((bareFull.rss - bareEmpty.rss) / sockets / KB);
      await load.call("disconnect");

      // Heap after subscribe/unsubscribe cycles.
      await connect(cycleSockets);
      const before = await settledMemory();
      await load.call("cycle", { cycles, query: INCOMING_CALL, variables: {} });
      // A leak is memory never released: the last cycles' subscriptions finish closing (pub/sub
      // unsubscriptions on Redis) after the load generator is done, so give them a few seconds.
      await sleep(settleMs(5000));
      const after = await settledMemory();
      heapBefore.push(before.heapUsed / 2 ** 20);
      heapAfter.push(after.heapUsed / 2 ** 20);
      await load.call("disconnect");
      console.log(
        `run ${r + 1}: ${perClient.at(-1)!.toFixed(1)} KB/client (bare ${bareperClient.at(-1)!.toFixed(1)}); ` +
          `heap ${heapEmpty.at(-1)!.toFixed(1)} → ${heapEmptyAgain.at(-1)!.toFixed(1)} MiB after the ` +
          `sockets left; ${heapBefore.at(-1)!.toFixed(1)} → ${heapAfter.at(-1)!.toFixed(1)} MiB over the ` +
          "cycles",
      );
    }
    const label = `${sockets.toLocaleString("en-US")} sockets`;
    report.rows.push(
      {
        case: label,
        metric: "RSS per idle subscribed client (baseline: bare graphql-ws)",
        unit: "KB",
        samples: perClient,
        baseline: bareperClient,
        target: "≤ 30 KB per client",
        met: (v) => v.median <= 30,
      },
      {
        case: label,
        metric: "process RSS with the clients (baseline: with no clients)",
        unit: "MiB",
        samples: rssWith,
        baseline: rssWithout,
      },
      {
        case: label,
        metric: "heap used after every socket disconnected (baseline: before they connected)",
        unit: "MiB",
        samples: heapEmptyAgain,
        baseline: heapEmpty,
        target: "back to baseline (ratio ≤ 1.05)",
        met: (_v, _b, ratio) => ratio <= 1.05,
      },
      {
        case: `${cycles.toLocaleString("en-US")} cycles on ${cycleSockets} sockets`,
        metric: "heap used after subscribe/unsubscribe cycles (baseline: before them)",
        unit: "MiB",
        samples: heapAfter,
        baseline: heapBefore,
        target: "back to baseline (ratio ≤ 1.05)",
        met: (_v, _b, ratio) => ratio <= 1.05,
      },
    );
  } finally {
    await load.close();
    await bareProcess.close();
    await bench.close();
  }
  writeReport(report);
  return report;
}

if (isMain(import.meta.url)) {
  await run();
  process.exit(0);
}
