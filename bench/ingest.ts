// Ingest benchmark (issue 5): sustained RingCentral telephony notifications/s fully processed —
// de-duplicated, stored, event logged and published — by one worker that receives them over the
// real WebSocket subscription (unmodified @ringcentral/sdk) from the simulator, which runs in its
// own process. Notifications are the three real captures (../shared/ringcentral/captures) with fresh
// session ids, uuids and caller numbers, many calls interleaved as on a busy account.
// Baseline, same run: the very rows those notifications produced, written again into an empty
// database by plain multi-row INSERTs through `pg` (no ORM, no per-notification transaction).
//
//   BENCH_INGEST_CALLS=300 BENCH_RUNS=3 BENCH_WARMUP=1 npx tsx bench/ingest.ts   (npm run bench runs it too)
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { Redis } from "ioredis";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { startApp, type App } from "../src/app.ts";
import { pgConfigFromUrl } from "../src/db.ts";
import { startRingCentralWorker, type RingCentralWorker } from "../src/integrations/ringcentral/worker.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { createBenchDatabase, dropTemplate, redisUrl, type BenchDatabase } from "./ingest-db.ts";
import { fmt, machineFacts as machineLine, markdownTable, summarize } from "./ingest-report.ts";
import { envInt, isMain, machineFacts, newReport, renderReport, writeReport, type Report } from "./harness.ts";
import { loggedInConnectionClient } from "../src/integrations/ringcentral/worker.ts";
import { startAnalyticsConsumer, type AnalyticsConsumer } from "../src/analytics/consumer.ts";

const root = path.resolve(import.meta.dirname, "..");
const capturesDir = path.resolve(root, "../shared/ringcentral/captures");
const MAIN_NUMBER = "+18003151571";
const DISPATCHER_NUMBER = "+17203861294";
const CAPTURE_CALLER = "+14083388064";

interface Envelope {
  uuid: string;
  event: string;
  body: { telephonySessionId: string; [key: string]: unknown };
}

const CAPTURES = [
  { name: "inbound-pstn-ivr-to-user-answered-hold.jsonl", weight: 2 },
  { name: "outbound-user-to-pstn-answered-hold.jsonl", weight: 2 },
  { name: "extension-to-extension-answered-hold.jsonl", weight: 1 },
];

function readCapture(name: string): string[] {
  return fs
    .readFileSync(path.join(capturesDir, name), "utf8")
    .split("\n")
    .filter((l) => l.trim());
}

/** `calls` calls from the captures (2:2:1 inbound, outbound, extension-to-extension), each with its
 * own session id, uuids and customer number; `concurrent` calls at a time, their notifications
 * interleaved (each call's own notifications stay in capture order). */
export function generateNotifications(calls: number, runId: string, concurrent = 50): Envelope[] {
  const templates = CAPTURES.flatMap((c) => Array<string[]>(c.weight).fill(readCapture(c.name)));
  const perCall: Envelope[][] = [];
  for (let i = 0; i < calls; i++) {
    const caller = `+1408${String(2_000_000 + ((i * 7919) % 7_000_000)).padStart(7, "0")}`;
    const lines = templates[i % templates.length]!;
    perCall.push(
      lines.map((line, k) => {
        const envelope = JSON.parse(line.replaceAll(CAPTURE_CALLER, caller)) as Envelope & Record<string, unknown>;
        delete envelope.subscriptionId;
        delete envelope.ownerId;
        delete envelope.timestamp;
        envelope.uuid = `${runId}-${i}-${k}`;
        envelope.body = { ...envelope.body, telephonySessionId: `${envelope.body.telephonySessionId}-${runId}-${i}` };
        return envelope;
      }),
    );
  }
  const out: Envelope[] = [];
  for (let start = 0; start < perCall.length; start += concurrent) {
    const window = perCall.slice(start, start + concurrent);
    for (let k = 0; window.some((c) => k < c.length); k++)
      for (const call of window) if (k < call.length) out.push(call[k]!);
  }
  return out;
}

/** The simulator as its own process (`switchboard simulator --port 0`). */
async function spawnSimulator(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "src/cli.ts"), "simulator", "--port", "0"],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, LOG_LEVEL: "silent" },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`simulator exited (${code}) before listening`)));
  });
  child.stdout!.resume();
  return { url, child };
}

async function simPost(url: string, route: string, body: unknown): Promise<void> {
  const response = await fetch(`${url}/__sim/${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`simulator POST ${route}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

/** The production client (rate limiter, retries, JWT re-login) logged in as the simulator's admin. */
function simulatorClients(url: string, credentials: { clientId: string; clientSecret: string; jwt: string }) {
  return () => loggedInConnectionClient({ serverUrl: url, ...credentials });
}

/** The tables ingest writes to (setup rows — users, inbox, channels, connection — excluded). */
const INGEST_TABLES = [
  "ProcessedNotification",
  "Contact",
  "ContactPhone",
  "Conversation",
  "ConversationInbox",
  "Call",
  "CallParty",
  "UnroutedCallEvent",
  "Recording",
  "Activity",
  "Event",
];

interface TableRows {
  table: string;
  columns: string[];
  rows: (string | null)[][];
}

/** Every row of the ingest tables, each column as text (so any type round-trips through INSERT). */
const SETUP_TABLES = ["User", "Inbox", "InboxMember", "RingCentralConnection", "Channel"];

async function dumpRows(client: pg.Client, tableNames: string[]): Promise<TableRows[]> {
  const out: TableRows[] = [];
  for (const table of tableNames) {
    const { rows: cols } = await client.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 " +
        "ORDER BY ordinal_position",
      [table],
    );
    const columns = cols.map((c) => c.column_name);
    const result = await client.query({
      text: `SELECT ${columns.map((c) => `"${c}"::text`).join(", ")} FROM "${table}"`,
      rowMode: "array",
    });
    out.push({ table, columns, rows: result.rows as (string | null)[][] });
  }
  return out;
}

/** The baseline: the same rows, multi-row INSERTs (≤ 1,000 rows or 60,000 parameters each). */
async function insertRows(client: pg.Client, tables: TableRows[]): Promise<number> {
  let statements = 0;
  for (const { table, columns, rows } of tables) {
    const perStatement = Math.max(1, Math.min(1000, Math.floor(60_000 / columns.length)));
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const values: (string | null)[] = [];
      const placeholder = (value: string | null) => {
        values.push(value);
        return `$${values.length}`;
      };
      const tuples = chunk.map((row) => `(${row.map(placeholder).join(", ")})`);
      await client.query(
        `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${tuples.join(", ")}`,
        values,
      );
      statements++;
    }
  }
  return statements;
}

export interface IngestOptions {
  calls: number;
  runs: number;
  warmup: number;
  /** Notifications per POST to the simulator. */
  postSize?: number;
  /** Run the analytics consumer beside the worker and count a run done only once it has caught up. */
  withAnalytics?: boolean;
  log?: (line: string) => void;
}

export interface IngestResult {
  notificationsPerRun: number;
  rates: number[];
  baselineRates: number[];
  rowsPerRun: Record<string, number>;
  /** SQL statements the app sent per notification (Prisma query log), median over runs. */
  statementsPerNotification: number;
  markdown: string;
}

export async function runIngestBench(options: IngestOptions): Promise<IngestResult> {
  const say = options.log ?? ((line: string) => console.error(line));
  const postSize = options.postSize ?? 250;
  const db = await createBenchDatabase("ingest");
  const simulator = await spawnSimulator();
  let app: App | null = null;
  let worker: RingCentralWorker | null = null;
  let analytics: AnalyticsConsumer | null = null;
  const redis = new Redis(redisUrl);
  const probe = new pg.Client(pgConfigFromUrl(db.url));
  const cleanup: BenchDatabase[] = [db];
  try {
    await probe.connect();
    const account = (await (await fetch(`${simulator.url}/__sim/account`)).json()) as {
      accountId: string;
      clientId: string;
      clientSecret: string;
      jwt: string;
    };
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
    });
    let statements = 0;
    app = await startApp(config, createLogger("silent"), { onQuery: () => statements++ });
    const prisma = app.db.prisma;
    // The capture account's users (linked to extensions by email), an inbox, and its two voice numbers.
    const admin = await prisma.user.create({ data: { email: "admin@switchboard.test", name: "Admin", role: "ADMIN" } });
    const dispatcher = await prisma.user.create({
      data: { email: "dispatcher@switchboard.test", name: "Dispatcher", role: "AGENT" },
    });
    const inbox = await prisma.inbox.create({
      data: { name: "Phones", members: { create: [{ userId: admin.id }, { userId: dispatcher.id }] } },
    });
    const connection = await prisma.ringCentralConnection.create({
      data: {
        serverUrl: simulator.url,
        clientId: account.clientId,
        encryptedCredentials: "bench",
        accountId: account.accountId,
        ownerExtensionId: "809646016",
      },
    });
    await prisma.channel.createMany({
      data: [
        { type: "VOICE", phoneNumber: MAIN_NUMBER, inboxId: inbox.id, connectionId: connection.id },
        { type: "VOICE", phoneNumber: DISPATCHER_NUMBER, inboxId: inbox.id, connectionId: connection.id },
      ],
    });
    // Published events, counted on the admins' "all" topic.
    let published = 0;
    await redis.subscribe(`switchboard:all:${app.pubsub.eventLog}`);
    redis.on("message", () => published++);

    worker = startRingCentralWorker({
      prisma,
      pubsub: app.pubsub,
      log: createLogger(process.env.BENCH_LOG_LEVEL ?? "silent"),
      clients: simulatorClients(simulator.url, account),
      leases: inProcessLeases(),
      reconcileIntervalMs: 3_600_000,
      sweepIntervalMs: 3_600_000,
    });
    await worker.reconcile();
    await worker.idle();
    analytics = options.withAnalytics
      ? startAnalyticsConsumer({ prisma, pubsub: app.pubsub, log: createLogger("silent"), leases: inProcessLeases() })
      : null;

    const count = async (sql: string) => Number((await probe.query<{ n: string }>(sql)).rows[0]!.n);
    const rates: number[] = [];
    const statementsPerNotification: number[] = [];
    let notificationsPerRun = 0;
    for (let run = 0; run < options.warmup + options.runs; run++) {
      const runId = `r${run}x${Date.now().toString(36)}`;
      const notifications = generateNotifications(options.calls, runId);
      notificationsPerRun = notifications.length;
      const processedBefore = await count(`SELECT count(*) AS n FROM "ProcessedNotification"`);
      const statementsBefore = statements;
      const started = performance.now();
      for (let i = 0; i < notifications.length; i += postSize)
        await simPost(simulator.url, "notifications", notifications.slice(i, i + postSize));
      const target = processedBefore + notifications.length;
      const deadline = Date.now() + 600_000;
      for (;;) {
        const processed = await count(`SELECT count(*) AS n FROM "ProcessedNotification"`);
        if (processed >= target) {
          await worker.idle();
          const events = await count(`SELECT count(*) AS n FROM "Event"`);
          if (published >= events) {
            await analytics?.drain();
            break;
          }
        }
        if (Date.now() > deadline)
          throw new Error(`ingest stalled at ${processed - processedBefore}/${notifications.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      const seconds = (performance.now() - started) / 1000;
      const rate = notifications.length / seconds;
      const perNotification = (statements - statementsBefore) / notifications.length;
      const warm = run < options.warmup;
      say(
        `ingest ${warm ? "warm-up" : "run"} ${run + 1 - (warm ? 0 : options.warmup)}: ${notifications.length} ` +
          `notifications in ${seconds.toFixed(2)} s = ${rate.toFixed(0)}/s, ${perNotification.toFixed(1)} ` +
          "SQL statements each",
      );
      if (!warm) {
        rates.push(rate);
        statementsPerNotification.push(perNotification);
      }
    }
    const totalNotifications = notificationsPerRun * (options.warmup + options.runs);
    const applied = await count(`SELECT count(*) AS n FROM "Call"`);
    if (applied !== options.calls * (options.warmup + options.runs))
      throw new Error(`expected ${options.calls * (options.warmup + options.runs)} calls, found ${applied}`);

    // Baseline: the rows all runs produced, written again by multi-row INSERTs into empty databases.
    const setup = await dumpRows(probe, SETUP_TABLES);
    const tables = await dumpRows(probe, INGEST_TABLES);
    const rowsPerRun = Object.fromEntries(
      tables.map((t) => [t.table, Math.round(t.rows.length / (options.warmup + options.runs))]),
    );
    const baselineRates: number[] = [];
    for (let run = 0; run < Math.max(1, options.runs); run++) {
      const target = await createBenchDatabase("ingest_baseline");
      cleanup.push(target);
      const client = new pg.Client(pgConfigFromUrl(target.url));
      await client.connect();
      try {
        await insertRows(client, setup); // untimed: the users, inbox and channels the rows refer to
        const started = performance.now();
        const statements = await insertRows(client, tables);
        const seconds = (performance.now() - started) / 1000;
        baselineRates.push(totalNotifications / seconds);
        say(
          `baseline run ${run + 1}: rows of ${totalNotifications} notifications in ${statements} INSERTs, ` +
            `${seconds.toFixed(2)} s = ${(totalNotifications / seconds).toFixed(0)}/s`,
        );
      } finally {
        await client.end();
        await target.drop();
      }
    }

    const s = summarize(rates);
    const b = summarize(baselineRates);
    const rowsText = Object.entries(rowsPerRun)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${t} ${n}`)
      .join(", ");
    const markdown = [
      `# Ingest benchmark`,
      ``,
      `${new Date().toISOString()} — \`npx tsx bench/ingest.ts --calls ${options.calls} --runs ${options.runs} ` +
        `--warmup ${options.warmup}\``,
      ``,
      `Machine: ${machineLine()}. PostgreSQL + Redis on the same machine; simulator in its own process.`,
      ``,
      `Each run: ${options.calls} calls (the three real captures 2:2:1, fresh session ids, uuids and caller ` +
        `numbers, 50 calls interleaved) = ${notificationsPerRun} notifications posted to the simulator in ` +
        `arrays of ${postSize}, delivered over the WebSocket subscription to one worker; timed until every ` +
        `notification is processed and every event published. Rows written per run: ${rowsText}.`,
      ``,
      markdownTable(
        [
          "scenario",
          "measure",
          "runs",
          "median",
          "p95",
          "p99",
          "min–max",
          "baseline (median)",
          "ratio",
          "target",
          "SQL statements / notification",
        ],
        [
          [
            "ingest",
            "notifications/s, one worker",
            String(s.n),
            fmt(s.median),
            fmt(s.p95),
            fmt(s.p99),
            `${fmt(s.min)}–${fmt(s.max)}`,
            `${fmt(b.median)} (multi-row INSERTs through pg, ${b.n} runs)`,
            (s.median / b.median).toFixed(3),
            `≥ 1,000/s: ${s.median >= 1000 ? "met" : "missed"}`,
            fmt(summarize(statementsPerNotification).median),
          ],
        ],
      ),
      ``,
    ].join("\n");
    return {
      notificationsPerRun,
      rates,
      baselineRates,
      rowsPerRun,
      statementsPerNotification: summarize(statementsPerNotification).median,
      markdown,
    };
  } finally {
    await analytics?.close().catch(() => {});
    await worker?.close().catch(() => {});
    await app?.close().catch(() => {});
    await probe.end().catch(() => {});
    redis.disconnect();
    simulator.child.kill("SIGTERM");
    for (const d of cleanup) await d.drop().catch(() => {});
    await dropTemplate().catch(() => {});
  }
}

/** The scenario for `npm run bench` (bench/harness.ts): sizes from BENCH_INGEST_CALLS, BENCH_RUNS, BENCH_WARMUP. */
export async function run(): Promise<Report> {
  const calls = envInt("BENCH_INGEST_CALLS", 300);
  const runs = envInt("BENCH_RUNS", 3);
  const warmup = envInt("BENCH_WARMUP", 1);
  const report = newReport({
    scenario: "ingest",
    title: "Ingest: RingCentral notifications/s fully processed by one worker",
    command: `BENCH_INGEST_CALLS=${calls} BENCH_RUNS=${runs} BENCH_WARMUP=${warmup} npx tsx bench/ingest.ts`,
    description:
      "Each run posts the telephony notifications of `calls` calls (the three real captures 2:2:1 — inbound " +
      "via IVR, outbound, extension to extension — with fresh session ids, uuids and caller numbers, 50 " +
      "calls interleaved) to the simulator (its own process) in arrays of 250; the simulator delivers " +
      "them over the WebSocket subscription to one worker (unmodified @ringcentral/sdk, production " +
      "client). Timed from the first POST until every notification is de-duplicated and stored " +
      "(ProcessedNotification rows) and every event it logged was published on Redis. Baseline, same " +
      "run: the very rows all runs wrote (every ingest table, read back as text) inserted again into an " +
      "empty database by multi-row INSERTs through `pg`; its rate is notifications represented per " +
      "second.",
    parameters: { BENCH_INGEST_CALLS: calls, BENCH_RUNS: runs, BENCH_WARMUP: warmup },
    machine: await machineFacts(),
  });
  const result = await runIngestBench({ calls, runs, warmup });
  report.rows.push({
    case: `${calls} calls = ${result.notificationsPerRun} notifications per run`,
    metric: "notifications/s, one worker",
    unit: "/s",
    samples: result.rates,
    baseline: result.baselineRates,
    target: "≥ 1,000/s",
    met: (v) => v.median >= 1000,
    note:
      `per run; ${result.statementsPerNotification.toFixed(1)} SQL statements per notification (Prisma query log); ` +
      `rows per run: ${Object.entries(result.rowsPerRun)
        .filter(([, n]) => n > 0)
        .map(([t, n]) => `${t} ${n}`)
        .join(", ")}`,
  });
  writeReport(report);
  return report;
}

if (isMain(import.meta.url)) {
  const report = await run();
  console.log(renderReport(report));
  process.exit(0);
}
