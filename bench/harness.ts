// The benchmark harness: sizes from the environment, repeated runs, statistics, machine facts, a
// fresh PostgreSQL database per run, a load generator in its own process (child_process.fork with
// a small request/response protocol over IPC) and the Markdown report written to bench/results/.
//
// A scenario builds a `Report` (rows of samples, each beside a baseline measured in the same run)
// and calls `writeReport`. See bench/README.md for the conventions.
import { fork, execSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import inspector from "node:inspector/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Redis } from "ioredis";
import { openDatabase, pgConfigFromUrl } from "../src/db.ts";
import { applyMigrations } from "../src/migrations.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { startApp, type App } from "../src/app.ts";
import { createUser } from "../src/domain/users.ts";
import { createApiToken } from "../src/domain/tokens.ts";

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const repoDir = path.dirname(benchDir);

// ─── Services ────────────────────────────────────────────────────────────────────────────────────

/** PostgreSQL server (any database on it; each run creates its own) and Redis, as the tests use. */
export const postgresUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
export const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

function urlFor(database: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<T>> {
  const client = new pg.Client(pgConfigFromUrl(postgresUrl));
  await client.connect();
  try {
    return await client.query<T>(sql);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new, migrated database (dropped by `drop()`; `npm run bench` never reuses one). */
export async function freshDatabase(label = "bench"): Promise<BenchDatabase> {
  const name = `switchboard_${label.replace(/\W/g, "_")}_${Date.now()}_${crypto.randomUUID().slice(0, 8)}`;
  const url = urlFor(name);
  // Under vitest (the smoke test) a migrated template exists: cloning it is much faster.
  const template = process.env.SWITCHBOARD_TEST_TEMPLATE;
  if (template) {
    await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } else {
    await adminQuery(`CREATE DATABASE "${name}"`);
    const db = await openDatabase({ databaseUrl: url, dataDir: "" });
    try {
      await applyMigrations(db.migrationAdapter());
    } finally {
      await db.close();
    }
  }
  return { name, url, drop: async () => void (await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)) };
}

// ─── Sizes and options ───────────────────────────────────────────────────────────────────────────

/** An integer from the environment (`BENCH_RUNS=3`), or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw.replaceAll("_", ""));
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return Math.round(value);
}

/** A comma-separated list of integers from the environment (`BENCH_AGENTS=1,100,1000`). */
export function envInts(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  return raw.split(",").map((part) => {
    const value = Number(part.trim().replaceAll("_", ""));
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a list of integers, got "${raw}"`);
    return value;
  });
}

/** Runs `fn` `runs` times (after `warmup` unrecorded runs); returns the recorded results. */
export async function repeat<T>(runs: number, fn: (run: number) => Promise<T>, warmup = 0): Promise<T[]> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await fn(i));
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ─── Statistics ──────────────────────────────────────────────────────────────────────────────────

export interface Summary {
  n: number;
  median: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0, median: NaN, p95: NaN, p99: NaN, min: NaN, max: NaN, mean: NaN };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    n: sorted.length,
    median,
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

// ─── Reports ─────────────────────────────────────────────────────────────────────────────────────

export type Stat = "median" | "p95" | "p99";

export interface Row {
  /** The load: "1,000 agents", "5,000 subscribers"… */
  case: string;
  /** What is measured: "ring latency", "delivered messages/s"… */
  metric: string;
  unit: string;
  /** Switchboard's observations (per event, or per run: say which in `note`). */
  samples: number[];
  /** The baseline's observations of the same metric, measured in the same run. */
  baseline: number[];
  /** The statistic the ratio and the target compare (default: median). */
  stat?: Stat;
  /** e.g. "p99 ≤ 50 ms"; `met` decides it. */
  target?: string;
  met?: (value: Summary, baseline: Summary, ratio: number) => boolean;
  note?: string;
}

export interface MachineFacts {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  postgres: string;
  redis: string;
  commit: string;
}

export interface Report {
  /** File name stem: bench/results/<scenario>-<timestamp>.md */
  scenario: string;
  title: string;
  /** The exact command that produced it. */
  command: string;
  /** What is measured and how, what the baseline is. */
  description: string;
  /** The environment sizes the run used (BENCH_* variables…). */
  parameters: Record<string, string | number>;
  rows: Row[];
  machine: MachineFacts;
  startedAt: Date;
  finishedAt?: Date;
}

export const TABLE_COLUMNS = [
  "case",
  "metric",
  "n",
  "median",
  "p95",
  "p99",
  "min–max",
  "baseline median",
  "baseline p99",
  "ratio",
  "target",
  "met",
] as const;

export async function machineFacts(): Promise<MachineFacts> {
  const cpus = os.cpus();
  let postgres = "unknown";
  try {
    postgres = (await adminQuery<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version;
  } catch (error) {
    postgres = `unreachable (${(error as Error).message})`;
  }
  let redis = "unknown";
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    redis = /redis_version:(\S+)/.exec(await client.info("server"))?.[1] ?? "unknown";
  } catch (error) {
    redis = `unreachable (${(error as Error).message})`;
  } finally {
    client.disconnect();
  }
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: repoDir, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    const dirty = execSync("git status --porcelain -- src", { cwd: repoDir, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    if (dirty) commit += " (src modified)";
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
    redis,
    commit,
  };
}

export function newReport(fields: Omit<Report, "rows" | "startedAt" | "machine"> & { machine: MachineFacts }): Report {
  return { ...fields, rows: [], startedAt: new Date() };
}

/** Numbers as a table shows them: 3 significant figures, thousands separated. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "—";
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

export interface EvaluatedRow {
  row: Row;
  value: Summary;
  baseline: Summary;
  ratio: number;
  met: boolean | null;
}

export function evaluate(row: Row): EvaluatedRow {
  const value = summarize(row.samples);
  const baseline = summarize(row.baseline);
  const stat = row.stat ?? "median";
  const ratio = value[stat] / baseline[stat];
  return { row, value, baseline, ratio, met: row.met ? row.met(value, baseline, ratio) : null };
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

export function renderTable(rows: Row[]): string {
  const lines = [`| ${TABLE_COLUMNS.join(" | ")} |`, `|${TABLE_COLUMNS.map(() => "---").join("|")}|`];
  for (const e of rows.map(evaluate)) {
    const unit = e.row.unit ? ` ${e.row.unit}` : "";
    const stat = e.row.stat ?? "median";
    lines.push(
      `| ${[
        e.row.case,
        e.row.metric,
        String(e.value.n),
        formatNumber(e.value.median) + unit,
        formatNumber(e.value.p95) + unit,
        formatNumber(e.value.p99) + unit,
        `${formatNumber(e.value.min)}–${formatNumber(e.value.max)}${unit}`,
        formatNumber(e.baseline.median) + unit,
        formatNumber(e.baseline.p99) + unit,
        `${formatNumber(e.ratio)} (${stat})`,
        e.row.target ?? "",
        e.met === null ? "" : e.met ? "yes" : "**no**",
      ]
        .map(cell)
        .join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

export function renderReport(report: Report): string {
  const m = report.machine;
  const notes = report.rows.filter((r) => r.note).map((r) => `- ${r.case}, ${r.metric}: ${r.note}`);
  return [
    `# ${report.title}`,
    "",
    report.description,
    "",
    `Command: \`${report.command}\`  `,
    `Started ${report.startedAt.toISOString()}, finished ${(report.finishedAt ?? new Date()).toISOString()}; ` +
      `commit ${m.commit}.`,
    "",
    "## Machine",
    "",
    "| CPU | cores | memory | OS | Node | PostgreSQL | Redis |",
    "|---|---|---|---|---|---|---|",
    `| ${[m.cpu, String(m.cores), m.memory, m.os, m.node, m.postgres, m.redis].map(cell).join(" | ")} |`,
    "",
    "## Parameters",
    "",
    ...Object.entries(report.parameters).map(([k, v]) => `- ${k} = ${v}`),
    "",
    "## Results",
    "",
    "Ratio = Switchboard ÷ baseline on the statistic in brackets (a latency or memory ratio above 1 is",
    "slower or bigger than the baseline; a throughput ratio below 1 is slower).",
    "",
    renderTable(report.rows),
    ...(notes.length ? ["", "## Notes", "", ...notes] : []),
    "",
  ].join("\n");
}

/** Where reports go: bench/results/, or BENCH_RESULTS_DIR (the smoke test writes to a temp dir). */
export function resultsDir(): string {
  return process.env.BENCH_RESULTS_DIR ?? path.join(benchDir, "results");
}

/** Writes bench/results/<scenario>-<timestamp>.md and prints the table; returns the file path. */
export function writeReport(report: Report): string {
  report.finishedAt ??= new Date();
  const dir = resultsDir();
  fs.mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.toISOString().replace(/[:.]/g, "-");
  const file = path.join(dir, `${report.scenario}-${stamp}.md`);
  const markdown = renderReport(report);
  fs.writeFileSync(file, markdown);
  process.stdout.write(`\n${renderTable(report.rows)}\n\nwritten to ${path.relative(process.cwd(), file)}\n`);
  return file;
}

// ─── The load generator's process ────────────────────────────────────────────────────────────────

type Handler = (args: any) => unknown;

interface RequestMessage {
  id: number;
  command: string;
  args: unknown;
}
interface ResponseMessage {
  id: number;
  result?: unknown;
  error?: string;
}

export interface LoadProcess {
  child: ChildProcess;
  /** Runs `command` in the load process; resolves with its result. */
  call<T = unknown>(command: string, args?: unknown): Promise<T>;
  /** Asks the process to exit (and kills it if it does not within 5 s). */
  close(): Promise<void>;
}

/**
 * Forks `script` (a .ts file run through tsx) as the load generator: its own process, its own
 * event loop and CPU time. The script calls `serveLoad(handlers)`.
 */
export async function forkLoad(
  script: string,
  options: { env?: Record<string, string>; execArgv?: string[] } = {},
): Promise<LoadProcess> {
  const child = fork(script, [], {
    execArgv: ["--import", "tsx", ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = true;
      for (const { reject } of pending.values()) reject(new Error(`load process exited (${code ?? signal})`));
      pending.clear();
      resolve();
    }),
  );
  child.on("message", (message: ResponseMessage | { ready: true }) => {
    if ("ready" in message) return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error !== undefined) waiter.reject(new Error(`load process: ${message.error}`));
    else waiter.resolve(message.result);
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: { ready?: true }) => {
      if (message?.ready) {
        child.off("message", onMessage);
        resolve();
      }
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`load process exited before it was ready (${code})`)));
  });
  return {
    child,
    call<T>(command: string, args?: unknown): Promise<T> {
      if (exited) return Promise.reject(new Error("load process has exited"));
      const id = ++next;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, command, args } satisfies RequestMessage);
      });
    },
    async close() {
      if (exited) return;
      child.send({ id: 0, command: "exit", args: null } satisfies RequestMessage);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The load generator's side: answers the parent's calls with `handlers`; "exit" ends the process. */
export function serveLoad(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error("serveLoad: not started by forkLoad (no IPC channel)");
  process.on("message", async (message: RequestMessage) => {
    if (message.command === "exit") {
      await handlers.exit?.(null);
      process.exit(0);
    }
    const handler = handlers[message.command];
    try {
      if (!handler) throw new Error(`unknown command ${message.command}`);
      const result = await handler(message.args);
      process.send!({ id: message.id, result } satisfies ResponseMessage);
    } catch (error) {
      process.send!({ id: message.id, error: (error as Error).stack ?? String(error) } satisfies ResponseMessage);
    }
  });
  // The parent going away ends the load generator too.
  process.on("disconnect", () => process.exit(0));
  process.send({ ready: true });
}

// ─── Memory ──────────────────────────────────────────────────────────────────────────────────────

let gcFunction: (() => void) | undefined;
/** A full garbage collection (works without --expose-gc on the command line). */
export function fullGc(): void {
  if (!gcFunction) {
    const global = globalThis as { gc?: () => void };
    if (typeof global.gc === "function") gcFunction = global.gc;
    else {
      v8.setFlagsFromString("--expose-gc");
      gcFunction = vm.runInNewContext("gc") as () => void;
    }
  }
  gcFunction();
}

/** Collects until the heap stops shrinking, then reports memory. */
export async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  let previous = Infinity;
  for (let i = 0; i < 6; i++) {
    fullGc();
    await sleep(50);
    const used = process.memoryUsage().heapUsed;
    if (previous - used < 64 * 1024) break;
    previous = used;
  }
  return process.memoryUsage();
}

// ─── CPU profiles ────────────────────────────────────────────────────────────────────────────────

/**
 * With BENCH_CPU_PROF=1, records a V8 CPU profile of this process (where startBenchApp runs
 * Switchboard) while `fn` runs, as `node --cpu-prof` would, into bench/results/profiles/<label>-<time>.cpuprofile
 * (BENCH_CPU_PROF_DIR to change). Without it, just runs `fn`. Summarise one with
 * `npx tsx bench/profile-summary.ts <file>`.
 */
export async function cpuProfiled<T>(label: string, fn: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_CPU_PROF || process.env.BENCH_CPU_PROF === "0") return fn();
  const session = new inspector.Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: envInt("BENCH_CPU_PROF_INTERVAL_US", 200) });
  await session.post("Profiler.start");
  try {
    return await fn();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    const dir = process.env.BENCH_CPU_PROF_DIR ?? path.join(benchDir, "results", "profiles");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(
      dir,
      `${label.replace(/\W+/g, "-")}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`,
    );
    fs.writeFileSync(file, JSON.stringify(profile));
    process.stdout.write(`CPU profile written to ${path.relative(process.cwd(), file)}\n`);
  }
}

// ─── Switchboard under test ──────────────────────────────────────────────────────────────────────

export interface BenchApp {
  app: App;
  database: BenchDatabase;
  url: string;
  wsUrl: string;
  /** A user with an API token (AGENT by default). */
  createUser(input: {
    email: string;
    name?: string;
    role?: "ADMIN" | "AGENT";
  }): Promise<{ id: string; token: string; email: string }>;
  close(): Promise<void>;
}

/** Benchmarks measure how fast the server is: one token sends thousands of requests, so the
 * per-token rate limit and the in-flight bound (src/overload.ts) are off unless a scenario sets them. */
export const UNLIMITED = { RATE_LIMIT_REQUESTS_PER_MINUTE: "0", MAX_IN_FLIGHT_REQUESTS: "0" };

/**
 * Switchboard as production runs it (startApp: yoga + graphql-ws, PostgreSQL, Redis pub/sub) on a
 * fresh database, in this process, on a free loopback port.
 */
export async function startBenchApp(
  options: { label?: string; env?: Record<string, string>; onQuery?: (sql: string) => void; worker?: boolean } = {},
): Promise<BenchApp> {
  const database = await freshDatabase(options.label);
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "silent",
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    ...UNLIMITED,
    ...options.env,
  });
  const app = await startApp(config, createLogger(config.logLevel), {
    onQuery: options.onQuery,
    worker: options.worker,
  });
  return {
    app,
    database,
    url: app.url,
    wsUrl: `${app.url.replace("http", "ws")}/graphql`,
    async createUser(input) {
      const user = await createUser(app.db.prisma, {
        email: input.email,
        name: input.name ?? input.email.split("@")[0]!,
        role: input.role ?? "AGENT",
      });
      const { token } = await createApiToken(app.db.prisma, user.id, "bench");
      return { id: user.id, token, email: user.email };
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

export function globalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`).toString("base64");
}

/** True when the module with this `import.meta.url` is the script being run (not imported). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

/** How long to let a server settle (subscriptions set up, sockets closed): `defaultMs`, or
 * BENCH_SETTLE_MS for every such wait (the smoke test shortens them). */
export function settleMs(defaultMs: number): number {
  return envInt("BENCH_SETTLE_MS", defaultMs);
}
