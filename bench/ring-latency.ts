// Ring latency: the simulator emits an inbound call's notifications → the RingCentral worker
// (unmodified SDK, real WebSocket subscription) stores the call and logs INCOMING_CALL → Redis →
// the rung agent's graphql-ws client receives `incomingCall`. p50/p99 with 1, 100 and 1,000
// connected agents (each with its own user and `incomingCall` subscription; calls ring a pool of
// agents whose emails match simulator extensions, the others are idle subscribers) at a steady
// 20 calls/s. Baseline: a bare ws + ioredis relay of the same payload (bench/relay.ts).
//
// Process layout: this process runs Switchboard as `switchboard start` does (API + worker, one
// process) and the relay; the load generator (bench/ring-latency-load.ts, forked) runs the
// simulator and the clients.
import path from "node:path";
import { startRingCentralWorker } from "../src/integrations/ringcentral/worker.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { createLogger } from "../src/logger.ts";
import {
  benchDir,
  envInt,
  envInts,
  forkLoad,
  isMain,
  machineFacts,
  newReport,
  redisUrl,
  startBenchApp,
  writeReport,
  type Report,
} from "./harness.ts";
import { startRelay } from "./relay.ts";
import { loggedInConnectionClient } from "../src/integrations/ringcentral/worker.ts";

const MAIN_NUMBER = "+18003151571";

interface Agent {
  token?: string;
  extensionId: string | null;
}

export async function run(): Promise<Report> {
  const agentCounts = envInts("BENCH_AGENTS", [1, 100, 1000]);
  const rate = envInt("BENCH_RATE", 20);
  const calls = envInt("BENCH_CALLS", 200);
  const runs = envInt("BENCH_RUNS", 3);
  const warmup = envInt("BENCH_WARMUP_CALLS", 40);
  const rungPool = Math.max(1, Math.min(envInt("BENCH_RUNG_AGENTS", 20), Math.max(...agentCounts)));
  const report = newReport({
    scenario: "ring-latency",
    title: "Ring latency: simulator notification → incomingCall on the rung agent's graphql-ws client",
    command: "npm run bench:ring-latency",
    description: [
      "Each call is an inbound call's two party notifications (caller leg, then the agent's leg ringing) " +
        "published by the",
      "RingCentral simulator to its WebSocket subscribers; Switchboard's worker (unmodified @ringcentral/sdk) " +
        "stores it and",
      `logs INCOMING_CALL, which reaches the rung agent's \`incomingCall\` subscription over graphql-ws through Redis.`,
      "Latency = emit → the agent's client has the event, read on one clock (the load generator hosts the " +
        "simulator and",
      `the clients, in its own process). Calls ring a pool of ${rungPool} agents round-robin; the other ` +
        "connected agents are idle",
      `\`incomingCall\` subscribers. Each call is hung up once it rang. Baseline: the same notifications sent ` +
        "over a bare",
      "WebSocket to a relay that PUBLISHes them on Redis and writes them to the agent's bare WebSocket (no " +
        "database, no GraphQL).",
      `Samples: every call of ${runs} runs of ${calls} calls at ${rate} calls/s (after ${warmup} warm-up calls).`,
    ].join("\n"),
    parameters: {
      BENCH_AGENTS: agentCounts.join(","),
      BENCH_RATE: rate,
      BENCH_CALLS: calls,
      BENCH_RUNS: runs,
      BENCH_WARMUP_CALLS: warmup,
      BENCH_RUNG_AGENTS: rungPool,
    },
    machine: await machineFacts(),
  });

  const rig = await startRingRig({ agents: Math.max(...agentCounts), rungPool });
  try {
    for (const count of agentCounts) {
      const population = rig.agents.slice(0, count);
      const label = `${count.toLocaleString("en-US")} agent${count === 1 ? "" : "s"}`;
      const load = { runs, calls, rate, warmup };
      const subject = await rig.measure("switchboard", population, load);
      const baseline = await rig.measure("relay", population, load);
      console.log(
        `${label}: ${subject.latencies.length} rings measured, ${subject.lost} lost; baseline ${baseline.lost} lost`,
      );
      report.rows.push({
        case: label,
        metric: "ring latency",
        unit: "ms",
        samples: subject.latencies,
        baseline: baseline.latencies,
        stat: "p99",
        ...(count >= 1000 ? { target: "p99 ≤ 50 ms", met: (v) => v.p99 <= 50 } : {}),
        note:
          `${subject.lost} of ${subject.latencies.length + subject.lost} rings not received within 10 s ` +
          `(baseline: ${baseline.lost}); emitted at ≥ ${subject.rate.toFixed(1)} calls/s; ` +
          `${subject.statementsPerCall.toFixed(1)} SQL statements per call (ring + hang-up, all processes' ` +
          "queries through Prisma).",
      });
    }
  } finally {
    await rig.close();
  }
  writeReport(report);
  return report;
}

export interface RingLoad {
  runs: number;
  calls: number;
  rate: number;
  warmup: number;
}

export interface RingMeasure {
  latencies: number[];
  lost: number;
  /** The lowest emit rate the runs achieved. */
  rate: number;
  statementsPerCall: number;
}

/**
 * Switchboard as `switchboard start` runs it (API + worker) with `agents` users (the first `rungPool`
 * of them rung by simulator extensions), the relay baseline, and the forked load generator.
 */
export async function startRingRig(options: { agents: number; rungPool: number }) {
  const load = await forkLoad(path.join(benchDir, "ring-latency-load.ts"));
  let statements = 0;
  const bench = await startBenchApp({
    label: "ring",
    onQuery: (sql) => {
      statements += 1;
      if (process.env.BENCH_PRINT_SQL) console.log("SQL", performance.now().toFixed(1), sql.slice(0, 160));
    },
  });
  const relay = await startRelay(redisUrl);
  const log = createLogger(process.env.BENCH_LOG_LEVEL ?? "silent");
  let worker: ReturnType<typeof startRingCentralWorker> | null = null;
  const close = async () => {
    await worker?.close();
    await load.close();
    await relay.close();
    await bench.close();
  };
  try {
    const sim = await load.call<{
      url: string;
      accountId: string;
      credentials: { clientId: string; clientSecret: string; jwt: string };
    }>("startSimulator");
    const extensions = await load.call<{ id: string; email: string }[]>("addExtensions", { count: options.rungPool });
    const prisma = bench.app.db.prisma;
    // Rung agents first, so every population includes some.
    const agents: Agent[] = [];
    for (let i = 0; i < options.agents; i++) {
      const extension = extensions[i];
      const user = await bench.createUser({ email: extension?.email ?? `idle-agent-${i}@example.com` });
      agents.push({ token: user.token, extensionId: extension?.id ?? null });
    }
    const inbox = await prisma.inbox.create({ data: { name: "Main line" } });
    const users = await prisma.user.findMany({ select: { id: true } });
    await prisma.inboxMember.createMany({ data: users.map((u) => ({ userId: u.id, inboxId: inbox.id })) });
    const connection = await prisma.ringCentralConnection.create({
      data: {
        serverUrl: sim.url,
        clientId: sim.credentials.clientId,
        encryptedCredentials: "bench",
        accountId: sim.accountId,
        ownerExtensionId: "809646016",
      },
    });
    await prisma.channel.create({
      data: { type: "VOICE", phoneNumber: MAIN_NUMBER, inboxId: inbox.id, connectionId: connection.id },
    });
    worker = startRingCentralWorker({
      prisma,
      pubsub: bench.app.pubsub,
      log,
      leases: inProcessLeases(),
      // The production client (rate limiter, retries, JWT re-login), as `switchboard start` builds it.
      clients: () => loggedInConnectionClient({ serverUrl: sim.url, ...sim.credentials }),
    });
    await worker.reconcile();
    await worker.idle();
    const running = worker;

    /** Rings `population` (connected first, then disconnected) and reads each ring's latency. */
    const measure = async (
      target: "switchboard" | "relay",
      population: Agent[],
      ring: RingLoad,
    ): Promise<RingMeasure> => {
      await load.call("connect", {
        target,
        url: target === "switchboard" ? bench.wsUrl : relay.url,
        agents: population,
      });
      const args = { target, rate: ring.rate, agents: population };
      if (ring.warmup > 0) await load.call("ring", { ...args, calls: ring.warmup });
      const latencies: number[] = [];
      let lost = 0;
      const statementsBefore = statements;
      const rates: number[] = [];
      for (let r = 0; r < ring.runs; r++) {
        const result = await load.call<{ latencies: number[]; lost: number; achievedRate: number }>("ring", {
          ...args,
          calls: ring.calls,
        });
        latencies.push(...result.latencies);
        lost += result.lost;
        rates.push(result.achievedRate);
      }
      await load.call("disconnect");
      if (target === "switchboard") await running.idle();
      return {
        latencies,
        lost,
        rate: Math.min(...rates),
        statementsPerCall: (statements - statementsBefore) / (ring.runs * ring.calls),
      };
    };
    return { bench, agents, measure, close };
  } catch (error) {
    await close();
    throw error;
  }
}

if (isMain(import.meta.url)) {
  await run();
  process.exit(0);
}
