// Inbox-query benchmark (issue 5): an agent's inbox page — 10, 25 and 50 conversations with contact,
// last call, last message, tags and assignee — on 100,000 conversations / 1,000,000 events seeded
// in SQL. p50/p95/p99 latency measured by a load generator in its own process (one request at a
// time over keep-alive HTTP), SQL statements per request counted through the Prisma query log.
// Baseline, same server and token: a hello-world query ({ __typename }).
//
//   npx tsx bench/inbox-query.ts [--conversations 100000] [--events 1000000] [--requests 300] [--runs 3] [--smoke]
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { startApp, type App } from "../src/app.ts";
import { createApiToken } from "../src/domain/tokens.ts";
import { createBenchDatabase, dropTemplate } from "./ingest-db.ts";
import { fmt, machineFacts, markdownTable, summarize, writeResult } from "./ingest-report.ts";
import { seedInboxData } from "./inbox-seed.ts";

const root = path.resolve(import.meta.dirname, "..");

export const INBOX_PAGE_QUERY = `query InboxPage($inbox: ID!, $first: Int!) {
  node(id: $inbox) {
    ... on Inbox {
      conversations(first: $first, status: OPEN) {
        edges {
          node {
            id status lastActivityAt
            contact { name phoneNumbers { number } }
            assignee { name }
            tags { name }
            lastCall { status direction talkSeconds }
            lastMessage { text status }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}`;

export const HELLO_QUERY = `{ __typename }`;

export interface InboxOptions {
  conversations: number;
  events: number;
  requests: number;
  runs: number;
  warmup: number;
  pageSizes?: number[];
  /** Print the SQL of one request per row (diagnosis). */
  trace?: boolean;
  log?: (line: string) => void;
}

export interface InboxCase {
  name: string;
  pageSize: number | null;
  latencies: number[];
  runMedians: number[];
  statements: number[];
}

function loadGenerator(job: object): Promise<{ latencies: number[]; edges: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench/inbox-load.ts"), JSON.stringify(job)], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", (code) => {
      const result = JSON.parse(out.trim().split("\n").pop() || "{}") as { latencies?: number[]; edges?: number | null; error?: string };
      if (code !== 0 || !result.latencies) reject(new Error(`load generator failed (${code}): ${result.error ?? out.slice(0, 500)}`));
      else resolve({ latencies: result.latencies, edges: result.edges ?? null });
    });
  });
}

export async function runInboxQueryBench(options: InboxOptions): Promise<{ cases: InboxCase[]; markdown: string; seedSeconds: number }> {
  const say = options.log ?? ((line: string) => console.error(line));
  const pageSizes = options.pageSizes ?? [10, 25, 50];
  const db = await createBenchDatabase("inbox");
  let app: App | null = null;
  try {
    let counting = false;
    let statements = 0;
    const trace: string[] = [];
    const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", DATABASE_URL: db.url });
    app = await startApp(config, createLogger("silent"), { onQuery: (sql) => counting && (statements++, options.trace && trace.push(sql)) });
    const seeded = await seedInboxData(db.url, { conversations: options.conversations, events: options.events });
    say(`seeded ${options.conversations} conversations / ${options.events} events in ${seeded.seconds.toFixed(1)} s`);
    const { token } = await createApiToken(app.db.prisma, seeded.agentId, "bench");
    const inbox = Buffer.from(`Inbox:${seeded.inboxId}`).toString("base64");
    const url = `${app.url}/graphql`;

    const countStatements = async (query: string, variables: object): Promise<number> => {
      statements = 0;
      counting = true;
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await response.json()) as { errors?: unknown; data?: { node?: { conversations?: { edges: unknown[] } } } };
      counting = false;
      if (body.errors) throw new Error(`query failed: ${JSON.stringify(body.errors).slice(0, 500)}`);
      return statements;
    };

    const cases: { name: string; pageSize: number | null; query: string; variables: object }[] = [
      { name: "hello world `{ __typename }` (baseline)", pageSize: null, query: HELLO_QUERY, variables: {} },
      ...pageSizes.map((first) => ({ name: `inbox page, ${first} conversations`, pageSize: first, query: INBOX_PAGE_QUERY, variables: { inbox, first } })),
    ];
    const results: InboxCase[] = [];
    for (const c of cases) {
      const counted = [await countStatements(c.query, c.variables), await countStatements(c.query, c.variables), await countStatements(c.query, c.variables)];
      if (options.trace) say(`${c.name}:\n  ${trace.slice(-counted[2]!).map((sql) => sql.replace(/\s+/g, " ")).join("\n  ")}`);
      const latencies: number[] = [];
      const runMedians: number[] = [];
      for (let run = 0; run < options.runs; run++) {
        const { latencies: l, edges } = await loadGenerator({ url, token, query: c.query, variables: c.variables, requests: options.requests, warmup: options.warmup });
        if (c.pageSize !== null && edges !== c.pageSize) throw new Error(`expected ${c.pageSize} conversations on the page, got ${edges}`);
        latencies.push(...l);
        runMedians.push(summarize(l).median);
      }
      const s = summarize(latencies);
      say(`${c.name}: p50 ${s.median.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, ${counted.join("/")} SQL statements`);
      results.push({ name: c.name, pageSize: c.pageSize, latencies, runMedians, statements: counted });
    }

    const baseline = summarize(results[0]!.latencies);
    const rows = results.map((r) => {
      const s = summarize(r.latencies);
      const runs = summarize(r.runMedians);
      const isBaseline = r.pageSize === null;
      const stmts = summarize(r.statements).median;
      return [
        r.name,
        String(s.n),
        fmt(s.median, 2),
        fmt(s.p95, 2),
        fmt(s.p99, 2),
        `${fmt(s.min, 2)}–${fmt(s.max, 2)}`,
        `${fmt(runs.min, 2)}–${fmt(runs.max, 2)}`,
        String(stmts),
        isBaseline ? "–" : fmt(baseline.median, 2),
        isBaseline ? "1" : (s.median / baseline.median).toFixed(1),
        isBaseline ? "–" : `p50 ≤ 15 ms: ${s.median <= 15 ? "met" : "missed"}; statements ≤ 5: ${stmts <= 5 ? "met" : "missed"}`,
      ];
    });
    const allStatements = results.filter((r) => r.pageSize !== null).map((r) => summarize(r.statements).median);
    const constant = allStatements.every((n) => n === allStatements[0]);
    const markdown = [
      `# Inbox query benchmark`,
      ``,
      `${new Date().toISOString()} — \`npx tsx bench/inbox-query.ts --conversations ${options.conversations} --events ${options.events} --requests ${options.requests} --runs ${options.runs}\``,
      ``,
      `Machine: ${machineFacts()}. PostgreSQL on the same machine; load generator in its own process, one request at a time (keep-alive HTTP).`,
      ``,
      `Data (seeded in SQL): ${options.conversations.toLocaleString("en-US")} conversations in 4 inboxes (80% open, two in three assigned; 60% with calls, 60% with two messages, tags on half), ${options.events.toLocaleString("en-US")} events, ${Math.round(options.conversations * 0.8).toLocaleString("en-US")} contacts, 50 agents. The viewer is an agent (member of every inbox); the page is inbox 1's open conversations, most recent activity first — the README's inbox query. ${options.runs} runs × ${options.requests} requests per row (after ${options.warmup} warm-up requests each); statements counted through the Prisma query log on single requests, auth included.`,
      ``,
      markdownTable(
        ["request", "requests", "p50 ms", "p95 ms", "p99 ms", "min–max ms", "run p50s ms", "SQL statements / request", "baseline p50 ms", "ratio (p50 / baseline)", "target"],
        rows,
      ),
      ``,
      `Statements per request ${constant ? "constant" : "NOT constant"} across page sizes ${pageSizes.join(", ")}: ${allStatements.join(", ")}.`,
      ``,
    ].join("\n");
    return { cases: results, markdown, seedSeconds: seeded.seconds };
  } finally {
    await app?.close().catch(() => {});
    await db.drop().catch(() => {});
    await dropTemplate().catch(() => {});
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const smoke = process.argv.includes("--smoke");
  const result = await runInboxQueryBench({
    conversations: arg("conversations", smoke ? 2_000 : 100_000),
    events: arg("events", smoke ? 20_000 : 1_000_000),
    requests: arg("requests", smoke ? 20 : 300),
    runs: arg("runs", smoke ? 1 : 3),
    warmup: arg("warmup", smoke ? 5 : 30),
    trace: process.argv.includes("--trace"),
  });
  const file = writeResult("inbox-query", result.markdown);
  console.log(result.markdown);
  console.error(`written to ${path.relative(process.cwd(), file)}`);
  process.exit(0);
}
