// Inbox-query benchmark (issue 5): an agent's inbox page — 10, 25 and 50 conversations with contact,
// last call, last message, tags and assignee — on 100,000 conversations / 1,000,000 events seeded
// in SQL. p50/p95/p99 latency measured by a load generator in its own process (one request at a
// time over keep-alive HTTP), SQL statements per request counted through the Prisma query log.
// Baseline, same server and token: a hello-world query ({ __typename }).
//
//   BENCH_CONVERSATIONS=100000 BENCH_EVENTS=1000000 BENCH_REQUESTS=300 BENCH_RUNS=3 npx tsx bench/inbox-query.ts
import { spawn } from "node:child_process";
import path from "node:path";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { startApp, type App } from "../src/app.ts";
import { createApiToken } from "../src/domain/tokens.ts";
import { createBenchDatabase, dropTemplate } from "./ingest-db.ts";
import { fmt, machineFacts as machineLine, markdownTable, summarize } from "./ingest-report.ts";
import {
  envInt,
  envInts,
  isMain,
  machineFacts,
  newReport,
  renderReport,
  UNLIMITED,
  writeReport,
  type Report,
} from "./harness.ts";
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

/** The same row fields through `conversations(filter:)`, with a search's highlights. */
export const FILTERED_PAGE_QUERY = `query FilteredPage($filter: ConversationFilter!, $first: Int!) {
  conversations(first: $first, filter: $filter) {
    edges {
      node {
        id status lastActivityAt
        contact { name phoneNumbers { number } }
        assignee { name }
        tags { name }
        lastCall { status direction talkSeconds }
        lastMessage { text status }
      }
      highlights { source text matches { start length } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const HELLO_QUERY = `{ __typename }`;

const DAY_MS = 86_400_000;

/** The filtered pages measured beside the plain one (issue 15), on the largest page size. */
function filteredCases(inbox: string, first: number) {
  const inboxIds = [inbox];
  return [
    {
      name: `text search "refu", ${first} conversations`,
      filter: { inboxIds, search: "refu" },
    },
    {
      name: `missed calls, unassigned, last 7 days, ${first} conversations`,
      filter: {
        inboxIds,
        lastCallOutcome: ["MISSED"],
        unassigned: true,
        lastActivityBetween: { from: new Date(Date.now() - 7 * DAY_MS).toISOString() },
      },
    },
  ].map((c) => ({ ...c, query: FILTERED_PAGE_QUERY, variables: { filter: c.filter, first } }));
}

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
  /** A filtered page (issue 15): compared with the plain page of the same size. */
  filtered: boolean;
  /** Conversations the page returned. */
  edges: number | null;
  latencies: number[];
  runMedians: number[];
  statements: number[];
  /** The server's CPU time per request (ms), per run: the server runs in this process. */
  cpuMs: number[];
}

function loadGenerator(job: object): Promise<{ latencies: number[]; edges: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(root, "bench/inbox-load.ts"), JSON.stringify(job)],
      { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", (code) => {
      const result = JSON.parse(out.trim().split("\n").pop() || "{}") as {
        latencies?: number[];
        edges?: number | null;
        error?: string;
      };
      if (code !== 0 || !result.latencies)
        reject(new Error(`load generator failed (${code}): ${result.error ?? out.slice(0, 500)}`));
      else resolve({ latencies: result.latencies, edges: result.edges ?? null });
    });
  });
}

/** The plain inbox page the filtered pages are compared with: the largest. */
function plainPageOf(cases: InboxCase[]): InboxCase {
  const plain = cases.filter((c) => c.pageSize !== null && !c.filtered);
  return plain.reduce((a, b) => (b.pageSize! > a.pageSize! ? b : a));
}

export async function runInboxQueryBench(
  options: InboxOptions,
): Promise<{ cases: InboxCase[]; markdown: string; seedSeconds: number }> {
  const say = options.log ?? ((line: string) => console.error(line));
  const pageSizes = options.pageSizes ?? [10, 25, 50];
  const db = await createBenchDatabase("inbox");
  let app: App | null = null;
  try {
    let counting = false;
    let statements = 0;
    const trace: string[] = [];
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: db.url,
      ...UNLIMITED,
    });
    app = await startApp(config, createLogger("silent"), {
      onQuery: (sql) => {
        if (!counting) return;
        statements++;
        if (options.trace) trace.push(sql);
      },
    });
    const seeded = await seedInboxData(db.url, { conversations: options.conversations, events: options.events });
    say(`seeded ${options.conversations} conversations / ${options.events} events in ${seeded.seconds.toFixed(1)} s`);
    const { token } = await createApiToken(app.db.prisma, seeded.agentId, "bench");
    const inbox = Buffer.from(`Inbox:${seeded.inboxId}`).toString("base64");
    const url = `${app.url}/graphql`;

    const countStatements = async (query: string, variables: object): Promise<number> => {
      statements = 0;
      counting = true;
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as {
        errors?: unknown;
        data?: { node?: { conversations?: { edges: unknown[] } } };
      };
      counting = false;
      if (body.errors) throw new Error(`query failed: ${JSON.stringify(body.errors).slice(0, 500)}`);
      return statements;
    };

    const largest = Math.max(...pageSizes);
    const cases: { name: string; pageSize: number | null; filtered: boolean; query: string; variables: object }[] = [
      {
        name: "hello world `{ __typename }` (baseline)",
        pageSize: null,
        filtered: false,
        query: HELLO_QUERY,
        variables: {},
      },
      ...pageSizes.map((first) => ({
        name: `inbox page, ${first} conversations`,
        pageSize: first,
        filtered: false,
        query: INBOX_PAGE_QUERY,
        variables: { inbox, first },
      })),
      ...filteredCases(inbox, largest).map((c) => ({ ...c, pageSize: largest, filtered: true })),
    ];
    const results: InboxCase[] = [];
    for (const c of cases) {
      const counted = [
        await countStatements(c.query, c.variables),
        await countStatements(c.query, c.variables),
        await countStatements(c.query, c.variables),
      ];
      if (options.trace)
        say(
          `${c.name}:\n  ${trace
            .slice(-counted[2]!)
            .map((sql) => sql.replace(/\s+/g, " "))
            .join("\n  ")}`,
        );
      const latencies: number[] = [];
      const runMedians: number[] = [];
      const cpuMs: number[] = [];
      let returned: number | null = null;
      for (let run = 0; run < options.runs; run++) {
        // Steadier than latency on a shared machine: what the server itself spent, warm-up included.
        const cpuBefore = process.cpuUsage();
        const { latencies: l, edges } = await loadGenerator({
          url,
          token,
          query: c.query,
          variables: c.variables,
          requests: options.requests,
          warmup: options.warmup,
        });
        // A filtered page may hold fewer on a small data set (the smoke test), never none.
        if (c.pageSize !== null && (c.filtered ? !edges : edges !== c.pageSize))
          throw new Error(`expected ${c.pageSize} conversations on the page, got ${edges}`);
        returned = edges;
        const cpu = process.cpuUsage(cpuBefore);
        cpuMs.push((cpu.user + cpu.system) / 1000 / (options.requests + options.warmup));
        latencies.push(...l);
        runMedians.push(summarize(l).median);
      }
      const s = summarize(latencies);
      const cpu = summarize(cpuMs).median;
      say(
        `${c.name}: p50 ${s.median.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, server CPU ${cpu.toFixed(2)} ` +
          `ms/request, ${counted.join("/")} SQL statements`,
      );
      results.push({
        name: c.name,
        pageSize: c.pageSize,
        filtered: c.filtered,
        edges: returned,
        latencies,
        runMedians,
        statements: counted,
        cpuMs,
      });
    }

    const baseline = summarize(results[0]!.latencies);
    const plainPage = plainPageOf(results);
    const rows = results.map((r) => {
      const s = summarize(r.latencies);
      const runs = summarize(r.runMedians);
      const isBaseline = r.pageSize === null;
      const stmts = summarize(r.statements).median;
      const plain = r.filtered ? summarize(plainPage.latencies).median : null;
      const target =
        plain !== null
          ? `p50 ≤ 2× the plain page (${fmt(2 * plain, 2)} ms): ${s.median <= 2 * plain ? "met" : "missed"}; ` +
            `${r.edges} conversations returned`
          : `p50 ≤ 15 ms: ${s.median <= 15 ? "met" : "missed"}; statements ≤ 5: ${stmts <= 5 ? "met" : "missed"}`;
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
        isBaseline ? "–" : target,
      ];
    });
    const allStatements = results
      .filter((r) => r.pageSize !== null && !r.filtered)
      .map((r) => summarize(r.statements).median);
    const constant = allStatements.every((n) => n === allStatements[0]);
    const markdown = [
      `# Inbox query benchmark`,
      ``,
      `${new Date().toISOString()} — \`npx tsx bench/inbox-query.ts --conversations ${options.conversations} ` +
        `--events ${options.events} --requests ${options.requests} --runs ${options.runs}\``,
      ``,
      `Machine: ${machineLine()}. PostgreSQL on the same machine; load generator in its own process, one ` +
        "request at a time (keep-alive HTTP).",
      ``,
      `Data (seeded in SQL): ${options.conversations.toLocaleString("en-US")} conversations in 4 inboxes (80% ` +
        "open, two in three assigned; 60% with calls, 60% with two messages, tags on half, comments on 10%, " +
        "a transcribed voicemail on one in 13 with calls), " +
        `${options.events.toLocaleString("en-US")} events, ` +
        `${Math.round(options.conversations * 0.8).toLocaleString("en-US")} contacts, 50 agents. The ` +
        "viewer is an agent (member of every inbox); the page is inbox 1's open conversations, most recent " +
        `activity first — the README's inbox query. ${options.runs} runs × ${options.requests} requests ` +
        `per row (after ${options.warmup} warm-up requests each); statements counted through the Prisma ` +
        "query log on single requests, auth included.",
      ``,
      markdownTable(
        [
          "request",
          "requests",
          "p50 ms",
          "p95 ms",
          "p99 ms",
          "min–max ms",
          "run p50s ms",
          "SQL statements / request",
          "baseline p50 ms",
          "ratio (p50 / baseline)",
          "target",
        ],
        rows,
      ),
      ``,
      `Statements per request ${constant ? "constant" : "NOT constant"} across page sizes ` +
        `${pageSizes.join(", ")}: ${allStatements.join(", ")}.`,
      ``,
    ].join("\n");
    return { cases: results, markdown, seedSeconds: seeded.seconds };
  } finally {
    await app?.close().catch(() => {});
    await db.drop().catch(() => {});
    await dropTemplate().catch(() => {});
  }
}

/** The scenario for `npm run bench` (bench/harness.ts): sizes from BENCH_CONVERSATIONS, BENCH_EVENTS,
 * BENCH_REQUESTS, BENCH_RUNS, BENCH_WARMUP, BENCH_PAGE_SIZES. BENCH_TRACE=1 prints each request's SQL. */
export async function run(): Promise<Report> {
  const options: InboxOptions = {
    conversations: envInt("BENCH_CONVERSATIONS", 100_000),
    events: envInt("BENCH_EVENTS", 1_000_000),
    requests: envInt("BENCH_REQUESTS", 300),
    runs: envInt("BENCH_RUNS", 3),
    warmup: envInt("BENCH_WARMUP", 30),
    pageSizes: envInts("BENCH_PAGE_SIZES", [10, 25, 50]),
    trace: process.env.BENCH_TRACE === "1",
  };
  const report = newReport({
    scenario: "inbox-query",
    title:
      `Inbox query: a page of an agent's inbox on ${options.conversations.toLocaleString("en-US")} ` +
      `conversations / ${options.events.toLocaleString("en-US")} events`,
    command:
      `BENCH_CONVERSATIONS=${options.conversations} BENCH_EVENTS=${options.events} ` +
      `BENCH_REQUESTS=${options.requests} BENCH_RUNS=${options.runs} npx tsx bench/inbox-query.ts`,
    description:
      "Seeded in SQL (generate_series): conversations in 4 inboxes (80% open, two in three assigned; 60% with " +
      "calls, 60% with two SMS, tags on half, comments on 10%, a transcribed voicemail on one in 13 with calls), " +
      "0.8 contacts per conversation, 50 agents, the event log. " +
      "An agent (member of every inbox) asks for inbox 1's open conversations, most recent activity " +
      "first, with contact + phone numbers, assignee, tags, last call and last message — the README's " +
      "inbox query. The load generator (its own process) sends one request at a time over keep-alive " +
      "HTTP; latency samples are per request over all runs. SQL statements per request are counted " +
      "through the Prisma query log on single requests (authentication included). Server CPU per " +
      "request: this process's CPU time (the server's; the load generator has its own) over each run, " +
      "divided by its requests. Baseline, same server and token: `{ __typename }`. Filtered pages " +
      '(`conversations(filter:)` on inbox 1, the same row fields, plus highlights): a text search for "refu" ' +
      "(comments and voicemail transcriptions about refunds) and missed calls, unassigned, last 7 days — " +
      "their baseline is the plain inbox page of the same size.",
    parameters: {
      ...options,
      pageSizes: (options.pageSizes ?? []).join(","),
      trace: String(options.trace),
    } as unknown as Record<string, string | number>,
    machine: await machineFacts(),
  });
  const { cases } = await runInboxQueryBench(options);
  const hello = cases.find((c) => c.pageSize === null)!;
  const pages = cases.filter((c) => c.pageSize !== null && !c.filtered);
  const plain = plainPageOf(cases);
  for (const c of pages) {
    report.rows.push({
      case: `page of ${c.pageSize}`,
      metric: "latency",
      unit: "ms",
      samples: c.latencies,
      baseline: hello.latencies,
      target: "p50 ≤ 15 ms",
      met: (v) => v.median <= 15,
    });
  }
  for (const c of pages) {
    report.rows.push({
      case: `page of ${c.pageSize}`,
      metric: "server CPU / request (per run, warm-up included)",
      unit: "ms",
      samples: c.cpuMs,
      baseline: hello.cpuMs,
    });
  }
  const constant = pages.every((c) => summarize(c.statements).median === summarize(pages[0]!.statements).median);
  for (const c of pages) {
    report.rows.push({
      case: `page of ${c.pageSize}`,
      metric: "SQL statements / request",
      unit: "",
      samples: c.statements,
      baseline: hello.statements,
      target: "≤ 5, same for every page size",
      met: (v) => v.max <= 5 && constant,
    });
  }
  for (const c of cases.filter((f) => f.filtered)) {
    const label = c.name.replace(/, \d+ conversations$/, "");
    report.rows.push({
      case: `${label}, page of ${c.pageSize}`,
      metric: "latency (baseline: the plain page)",
      unit: "ms",
      samples: c.latencies,
      baseline: plain.latencies,
      target: "p50 ≤ 2× the plain page",
      met: (_v, _b, ratio) => ratio <= 2,
      note: `${c.edges} conversations returned`,
    });
    report.rows.push({
      case: `${label}, page of ${c.pageSize}`,
      metric: "SQL statements / request",
      unit: "",
      samples: c.statements,
      baseline: plain.statements,
      target: "constant",
      met: (v) => v.min === v.max,
    });
  }
  writeReport(report);
  return report;
}

if (isMain(import.meta.url)) {
  const report = await run();
  console.log(renderReport(report));
  process.exit(0);
}
