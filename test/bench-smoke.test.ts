// `npm test` runs the benchmarks only as a smoke test: each of bench/ring-latency.ts, fan-out.ts,
// memory.ts, ingest.ts, inbox-query.ts, rules.ts and analytics.ts on tiny sizes (seconds), asserting
// the report is written with the right rows and columns. No timing thresholds here — figures come from `npm run bench` (BENCHMARKS.md).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABLE_COLUMNS, renderTable, summarize } from "../bench/harness.ts";

let dir: string;
const saved = { ...process.env };

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-bench-"));
  process.env.BENCH_RESULTS_DIR = dir;
  process.env.BENCH_SETTLE_MS = "100";
});
afterAll(() => {
  process.env = saved;
  fs.rmSync(dir, { recursive: true, force: true });
});

function withEnv(env: Record<string, string>) {
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
}

/** The results table of the report written for `scenario`: header cells and rows' cells. */
function table(scenario: string): { header: string[]; rows: string[][] } {
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${scenario}-`) && f.endsWith(".md"));
  expect(files).toHaveLength(1);
  const markdown = fs.readFileSync(path.join(dir, files[0]!), "utf8");
  expect(markdown).toContain("## Machine");
  expect(markdown).toMatch(/\| v20\.\d+\.\d+ \|/);
  const results = markdown.slice(markdown.indexOf("## Results"));
  const lines = results.split("\n").filter((l) => l.startsWith("| "));
  const cells = (line: string) => line.slice(2, -2).split(" | ");
  return { header: cells(lines[0]!), rows: lines.slice(1).map(cells) };
}

describe("bench harness", () => {
  it("summarises samples and renders a row beside its baseline", () => {
    expect(summarize([5, 1, 3, 2, 4])).toMatchObject({ n: 5, median: 3, min: 1, max: 5, p99: 5 });
    const text = renderTable([
      {
        case: "c",
        metric: "m",
        unit: "ms",
        samples: [2, 4],
        baseline: [1, 1],
        target: "≤ 5 ms",
        met: (v) => v.median <= 5,
      },
    ]);
    expect(text.split("\n")[0]).toBe(`| ${TABLE_COLUMNS.join(" | ")} |`);
    expect(text).toContain("| c | m | 2 | 3 ms | 4 ms | 4 ms | 2–4 ms | 1 ms | 1 ms | 3 (median) | ≤ 5 ms | yes |");
  });

  it("fan-out: one row pair per subscriber count", { timeout: 60_000 }, async () => {
    withEnv({ BENCH_SUBSCRIBERS: "3,5", BENCH_RUNS: "1", BENCH_WARMUP_EVENTS: "1", BENCH_USERS: "2" });
    const { run } = await import("../bench/fan-out.ts");
    await run();
    const { header, rows } = table("fan-out");
    expect(header).toEqual([...TABLE_COLUMNS]);
    expect(rows.map((r) => [r[0], r[1]!.split(" (")[0]])).toEqual([
      ["3 subscribers", "delivered messages/s"],
      ["3 subscribers", "delivered messages/s"],
      ["5 subscribers", "delivered messages/s"],
      ["5 subscribers", "delivered messages/s"],
    ]);
    for (const row of rows) expect(row).toHaveLength(TABLE_COLUMNS.length);
  });

  it("memory: per-client RSS, process RSS, heap after disconnects and after cycles", { timeout: 60_000 }, async () => {
    withEnv({ BENCH_SOCKETS: "5", BENCH_CYCLES: "10", BENCH_CYCLE_SOCKETS: "2", BENCH_RUNS: "1", BENCH_USERS: "2" });
    const { run } = await import("../bench/memory.ts");
    await run();
    const { rows } = table("memory");
    expect(rows.map((r) => r[0])).toEqual(["5 sockets", "5 sockets", "5 sockets", "10 cycles on 2 sockets"]);
    expect(rows[0]![1]).toMatch(/^RSS per idle subscribed client/);
    expect(rows[2]![1]).toMatch(/^heap used after every socket disconnected/);
    expect(rows[3]![1]).toMatch(/^heap used after subscribe\/unsubscribe cycles/);
  });

  it("ring latency: one row per agent count", { timeout: 60_000 }, async () => {
    withEnv({
      BENCH_AGENTS: "1,3",
      BENCH_CALLS: "3",
      BENCH_RUNS: "1",
      BENCH_WARMUP_CALLS: "1",
      BENCH_RATE: "20",
      BENCH_RUNG_AGENTS: "2",
    });
    const { run } = await import("../bench/ring-latency.ts");
    await run();
    const { rows } = table("ring-latency");
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ["1 agent", "ring latency", "3"],
      ["3 agents", "ring latency", "3"],
    ]);
  });
  it("ingest: one row, notifications/s beside the multi-row INSERT baseline", { timeout: 90_000 }, async () => {
    withEnv({ BENCH_INGEST_CALLS: "5", BENCH_RUNS: "1", BENCH_WARMUP: "0" });
    const { run } = await import("../bench/ingest.ts");
    await run();
    const { header, rows } = table("ingest");
    expect(header).toEqual([...TABLE_COLUMNS]);
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ["5 calls = 49 notifications per run", "notifications/s, one worker", "1"],
    ]);
    expect(rows[0]!.at(-2)).toBe("≥ 1,000/s");
  });

  it("rules: events/s through the rule runner and ring latency, each beside its no-rules baseline", {
    timeout: 90_000,
  }, async () => {
    withEnv({
      BENCH_RULE_CONVERSATIONS: "5",
      BENCH_RUNS: "1",
      BENCH_AGENTS: "2",
      BENCH_CALLS: "3",
      BENCH_WARMUP_CALLS: "1",
      BENCH_RATE: "20",
      BENCH_RUNG_AGENTS: "2",
    });
    const { run } = await import("../bench/rules.ts");
    await run();
    const { header, rows } = table("rules");
    expect(header).toEqual([...TABLE_COLUMNS]);
    expect(rows.map((r) => [r[0], r[1]!.split(" (")[0], r[2]])).toEqual([
      ["50 enabled rules, 20 events per run", "events/s through the rule runner", "1"],
      ["2 agents, 50 enabled rules", "ring latency", "3"],
    ]);
  });

  it("analytics: dashboard, rebuild and ingest with the consumer, on a tiny history", {
    timeout: 120_000,
  }, async () => {
    withEnv({
      BENCH_ANALYTICS_CALLS: "200",
      BENCH_ANALYTICS_MESSAGES: "400",
      BENCH_RUNS: "2",
      BENCH_INGEST_CALLS: "3",
      BENCH_INGEST_RUNS: "1",
      BENCH_INGEST_ROUNDS: "1",
    });
    const { run } = await import("../bench/analytics.ts");
    await run();
    const { header, rows } = table("analytics");
    expect(header).toEqual([...TABLE_COLUMNS]);
    expect(rows.map((r) => [r[1], r[2]])).toEqual([
      ["30-day dashboard (totals + daily series + per agent), repeated", "2"],
      ["30-day dashboard, each right after a baseline query", "2"],
      ["rebuild (switchboard analytics rebuild)", "1"],
      ["ingest notifications/s with rollups maintained (consumer caught up)", "1"],
    ]);
  });

  it("inbox query: latency and statements per page size, beside the hello-world baseline", {
    timeout: 90_000,
  }, async () => {
    withEnv({
      BENCH_CONVERSATIONS: "300",
      BENCH_EVENTS: "3000",
      BENCH_REQUESTS: "3",
      BENCH_RUNS: "1",
      BENCH_WARMUP: "1",
      BENCH_PAGE_SIZES: "10,25",
    });
    const { run } = await import("../bench/inbox-query.ts");
    await run();
    const { header, rows } = table("inbox-query");
    expect(header).toEqual([...TABLE_COLUMNS]);
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ["page of 10", "latency"],
      ["page of 25", "latency"],
      ["page of 10", "server CPU / request (per run, warm-up included)"],
      ["page of 25", "server CPU / request (per run, warm-up included)"],
      ["page of 10", "SQL statements / request"],
      ["page of 25", "SQL statements / request"],
      ['text search "refu", page of 25', "latency (baseline: the plain page)"],
      ['text search "refu", page of 25', "SQL statements / request"],
      ["missed calls, unassigned, last 7 days, page of 25", "latency (baseline: the plain page)"],
      ["missed calls, unassigned, last 7 days, page of 25", "SQL statements / request"],
    ]);
  });
});
