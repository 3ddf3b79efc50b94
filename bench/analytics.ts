// Analytics benchmark (issue 16): a year of a busy team's history — 50 agents, BENCH_ANALYTICS_CALLS
// calls (default 1,000,000) and BENCH_ANALYTICS_MESSAGES messages (default 2,000,000) — written by bulk
// SQL (generate_series, not through the domain), then:
// - rebuild: `rebuildAnalytics` (what `switchboard analytics rebuild` runs) over all of it, timed once;
// - dashboard: a 30-day range, midnight to midnight in Europe/Berlin, daily series, totals + series +
//   per-agent (what the `analytics` query computes: domain function, without HTTP), p50 over BENCH_RUNS
//   runs one after another, and again each run right after a baseline query (whose scans of the raw
//   rows push the rollups out of PostgreSQL's buffers); baseline in the same run: the same figures by
//   plain SQL GROUP BY over the raw Call, CallParty and Message rows;
// - ingest: the ingest bench (bench/ingest.ts: notifications/s over the simulator's WebSocket) with
//   the analytics consumer running and each run counted done only once it caught up, beside the same
//   bench without it, in turns (BENCH_INGEST_ROUNDS).
//
//   npm run bench:analytics     (BENCH_ANALYTICS_CALLS, BENCH_ANALYTICS_MESSAGES, BENCH_RUNS, BENCH_INGEST_CALLS,
//                                BENCH_INGEST_RUNS, BENCH_INGEST_ROUNDS)
import pg from "pg";
import { pgConfigFromUrl } from "../src/db.ts";
import { openDatabase } from "../src/db.ts";
import { analytics } from "../src/domain/analytics/query.ts";
import { rebuildAnalytics } from "../src/domain/analytics/refresh.ts";
import {
  envInt,
  freshDatabase,
  isMain,
  machineFacts,
  newReport,
  renderReport,
  writeReport,
  type Report,
} from "./harness.ts";
import { runIngestBench } from "./ingest.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The history's year ends here (a whole hour). */
const END = Date.UTC(2026, 10, 30);
const START = END - 365 * DAY_MS;
const AGENTS = 50;
const say = (line: string) => console.error(`[analytics] ${line}`);

/** The year of history, by bulk SQL: users, inboxes, channels, conversations, calls, parties, messages. */
export async function generate(client: pg.Client, calls: number, messages: number): Promise<void> {
  const q = async (label: string, sql: string) => {
    const started = performance.now();
    await client.query(sql);
    say(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  const start = new Date(START).toISOString();
  const voiceConversations = Math.max(1, Math.floor(calls / 5));
  const smsConversations = Math.max(1, Math.floor(messages / 5));
  await q(
    "users, inboxes, channels",
    `INSERT INTO "User" (id, email, name, role, "updatedAt")
       SELECT gen_random_uuid(), 'agent' || i || '@bench.test', 'Agent ' || i, 'AGENT', now() FROM generate_series(1, ${AGENTS}) i;
     CREATE TABLE bench_agent AS SELECT row_number() OVER (ORDER BY email) - 1 AS n, id, (1000 + row_number() OVER (ORDER BY email))::text AS ext
       FROM "User" WHERE email LIKE '%@bench.test';
     INSERT INTO "RingCentralConnection" (id, "serverUrl", "clientId", "encryptedCredentials", "accountId", "ownerExtensionId", "extensionsCache", "updatedAt")
       SELECT gen_random_uuid(), 'http://rc.invalid', 'bench', 'bench', 'bench', '1',
              jsonb_agg(jsonb_build_object('id', a.ext, 'type', 'User', 'email', u.email)), now()
       FROM bench_agent a JOIN "User" u ON u.id = a.id;
     INSERT INTO "Inbox" (id, name) SELECT gen_random_uuid(), 'Inbox ' || i FROM generate_series(0, 2) i;
     CREATE TABLE bench_channel AS SELECT row_number() OVER (PARTITION BY t ORDER BY i.name) - 1 AS n, gen_random_uuid() AS id, t::"ChannelType" AS type, i.id AS "inboxId"
       FROM "Inbox" i, unnest(ARRAY['VOICE', 'SMS']) t;
     INSERT INTO "Channel" (id, type, "phoneNumber", "inboxId") SELECT id, type, '+1800555' || CASE WHEN type = 'VOICE' THEN '1' ELSE '2' END || lpad(n::text, 3, '0'), "inboxId" FROM bench_channel;`,
  );
  await q(
    `${voiceConversations + smsConversations} conversations`,
    `CREATE TABLE bench_conversation AS
       SELECT i AS n, gen_random_uuid() AS id, (SELECT id FROM bench_channel WHERE type = 'VOICE' AND n = i % 3) AS "channelId", 'VOICE' AS kind,
              '${start}'::timestamp + (i * interval '365 days' / ${voiceConversations}) AS at
       FROM generate_series(0, ${voiceConversations - 1}) i
       UNION ALL
       SELECT i, gen_random_uuid(), (SELECT id FROM bench_channel WHERE type = 'SMS' AND n = i % 3), 'SMS',
              '${start}'::timestamp + (i * interval '365 days' / ${smsConversations})
       FROM generate_series(0, ${smsConversations - 1}) i;
     INSERT INTO "Conversation" (id, status, "channelId", "assigneeId", "lastActivityAt", "archivedAt", "createdAt")
       SELECT c.id, CASE WHEN kind = 'SMS' AND n % 5 <> 0 THEN 'ARCHIVED' ELSE 'OPEN' END::"ConversationStatus", c."channelId",
              (SELECT id FROM bench_agent WHERE bench_agent.n = c.n % ${AGENTS}), at,
              CASE WHEN kind = 'SMS' AND n % 5 <> 0 THEN at + (n % 72) * interval '1 hour' END, at
       FROM bench_conversation c;`,
  );
  await q(
    `${calls} calls`,
    `CREATE TABLE bench_call AS
       SELECT i AS n, gen_random_uuid() AS id, c.id AS "conversationId", c."channelId",
              CASE WHEN i % 5 = 4 THEN 'OUTBOUND' ELSE 'INBOUND' END AS direction,
              CASE WHEN i % 5 = 4 THEN 'ENDED' ELSE (ARRAY['ENDED','ENDED','ENDED','ENDED','ENDED','ENDED','ENDED','MISSED','ABANDONED','VOICEMAIL'])[1 + (i * 7) % 10] END AS status,
              '${start}'::timestamp + (i * interval '365 days' / ${calls}) + ((i * 13) % 600) * interval '1 second' AS t,
              (i * 31) % 120 AS wait, 30 + (i * 17) % 900 AS talk, (i * 7) % ${AGENTS} AS agent, (i * 11) % ${AGENTS} AS second
       FROM generate_series(0, ${calls - 1}) i JOIN bench_conversation c ON c.kind = 'VOICE' AND c.n = i % ${voiceConversations};
     INSERT INTO "Call" (id, "telephonySessionId", "conversationId", "channelId", direction, status, "fromNumber", "toNumber",
                         "answeredAt", "endedAt", "talkSeconds", "answeredById", "createdAt", "updatedAt")
       SELECT b.id, 'bench-' || b.n, b."conversationId", b."channelId", b.direction::"CallDirection", b.status::"CallStatus", '+14155550000', '+18005550000',
              CASE WHEN b.status = 'ENDED' THEN b.t + b.wait * interval '1 second' END,
              b.t + (b.wait + CASE WHEN b.status = 'ENDED' THEN b.talk ELSE 0 END) * interval '1 second',
              CASE WHEN b.status = 'ENDED' THEN b.talk END,
              CASE WHEN b.status = 'ENDED' THEN a.id END, b.t, b.t
       FROM bench_call b JOIN bench_agent a ON a.n = b.agent;`,
  );
  await q(
    "call parties",
    `INSERT INTO "CallParty" (id, "callId", "partyId", role, direction, "statusCode", "extensionId", sequence, "eventTime", "firstEventAt", "answeredAt", "endedAt", "missedCall", "updatedAt")
       SELECT gen_random_uuid(), b.id, 'x', 'EXTERNAL', CASE WHEN b.direction = 'INBOUND' THEN 'OUTBOUND' ELSE 'INBOUND' END::"CallDirection", 'Disconnected', NULL, 9,
              b.t, b.t, CASE WHEN b.status = 'ENDED' THEN b.t + b.wait * interval '1 second' END, b.t, false, b.t
       FROM bench_call b
       UNION ALL
       SELECT gen_random_uuid(), b.id, 'a', 'AGENT', b.direction::"CallDirection", 'Disconnected', a.ext, 9,
              b.t, b.t, CASE WHEN b.status = 'ENDED' THEN b.t + b.wait * interval '1 second' END, b.t, b.status <> 'ENDED', b.t
       FROM bench_call b JOIN bench_agent a ON a.n = b.agent
       UNION ALL
       SELECT gen_random_uuid(), b.id, 'q', 'AGENT', 'INBOUND', 'Disconnected', a.ext, 9, b.t, b.t, NULL, b.t, true, b.t
       FROM bench_call b JOIN bench_agent a ON a.n = b.second WHERE b.direction = 'INBOUND' AND b.n % 3 = 0 AND b.second <> b.agent;`,
  );
  await q(
    `${messages} messages`,
    `INSERT INTO "Message" (id, "conversationId", "channelId", direction, status, "fromNumber", "toNumber", text, "sentById", "createdAt", "updatedAt")
       SELECT gen_random_uuid(), c.id, c."channelId", CASE WHEN i % 9 < 5 THEN 'INBOUND' ELSE 'OUTBOUND' END::"MessageDirection",
              CASE WHEN i % 9 < 5 THEN 'RECEIVED' WHEN i % 37 = 0 THEN 'FAILED' ELSE 'DELIVERED' END::"MessageStatus",
              '+16505550000', '+18005550001', 'bench',
              CASE WHEN i % 9 >= 5 THEN (SELECT id FROM bench_agent WHERE bench_agent.n = i % ${AGENTS}) END,
              c.at + (i / ${smsConversations}) * interval '5 minutes', c.at + (i / ${smsConversations}) * interval '5 minutes'
       FROM generate_series(0, ${messages - 1}) i JOIN bench_conversation c ON c.kind = 'SMS' AND c.n = i % ${smsConversations};`,
  );
  await q("analyze", "DROP TABLE bench_call, bench_conversation, bench_channel, bench_agent; ANALYZE;");
}

/** The same figures by plain SQL over the raw rows: totals, a daily series and per agent (calls and messages). */
export async function baselineDashboard(client: pg.Client, from: Date, to: Date, timeZone: string): Promise<void> {
  const day = `(date_trunc('day', (t AT TIME ZONE 'UTC') AT TIME ZONE '${timeZone}') AT TIME ZONE '${timeZone}')`;
  const calls = client.query(
    `SELECT GROUPING(d, a) AS g, d, a, count(*) FILTER (WHERE direction = 'INBOUND') AS inbound,
            count(*) FILTER (WHERE direction = 'OUTBOUND') AS outbound,
            count(*) FILTER (WHERE direction = 'INBOUND' AND status = 'ENDED') AS answered,
            count(*) FILTER (WHERE direction = 'INBOUND' AND status = 'MISSED') AS missed,
            count(*) FILTER (WHERE direction = 'INBOUND' AND status = 'ABANDONED') AS abandoned,
            count(*) FILTER (WHERE direction = 'INBOUND' AND status = 'VOICEMAIL') AS voicemail,
            avg(wait) FILTER (WHERE direction = 'INBOUND' AND status = 'ENDED') AS wait,
            percentile_disc(0.9) WITHIN GROUP (ORDER BY wait) FILTER (WHERE direction = 'INBOUND' AND status = 'ENDED') AS p90,
            count(*) FILTER (WHERE direction = 'INBOUND' AND status = 'ENDED' AND wait <= 20) AS within_sl,
            avg("talkSeconds") AS talk
     FROM (SELECT c.*, s.t, ${day} AS d, c."answeredById" AS a, extract(epoch FROM c."answeredAt" - s.t) AS wait
           FROM "Call" c JOIN LATERAL (SELECT min("firstEventAt") AS t FROM "CallParty" p WHERE p."callId" = c.id) s ON true
           WHERE c."createdAt" >= $1::timestamp - interval '1 day' AND c."createdAt" < $2::timestamp) x
     WHERE t >= $1::timestamp AND t < $2::timestamp
     GROUP BY GROUPING SETS ((), (d), (a))`,
    [from.toISOString(), to.toISOString()],
  );
  const legs = client.query(
    `SELECT p."extensionId", count(*) AS rung, count(*) FILTER (WHERE p."answeredAt" IS NOT NULL) AS answered,
            count(*) FILTER (WHERE p."answeredAt" IS NULL AND c.status <> 'ENDED') AS missed
     FROM "CallParty" p JOIN "Call" c ON c.id = p."callId"
     WHERE p.role = 'AGENT' AND p.direction = 'INBOUND' AND p."firstEventAt" >= $1::timestamp AND p."firstEventAt" < $2::timestamp
     GROUP BY 1`,
    [from.toISOString(), to.toISOString()],
  );
  const texts = client.query(
    `SELECT GROUPING(d, a) AS g, d, a, count(*) FILTER (WHERE direction = 'INBOUND') AS inbound,
            count(*) FILTER (WHERE direction = 'OUTBOUND') AS outbound,
            count(*) FILTER (WHERE status = 'FAILED') AS failed
     FROM (SELECT m.*, m."createdAt" AS t, ${day.replaceAll("t AT", '"createdAt" AT')} AS d, m."sentById" AS a FROM "Message" m) x
     WHERE t >= $1::timestamp AND t < $2::timestamp GROUP BY GROUPING SETS ((), (d), (a))`,
    [from.toISOString(), to.toISOString()],
  );
  await Promise.all([calls, legs, texts]);
}

export async function run(): Promise<Report> {
  const calls = envInt("BENCH_ANALYTICS_CALLS", 1_000_000);
  const messages = envInt("BENCH_ANALYTICS_MESSAGES", 2_000_000);
  const runs = envInt("BENCH_RUNS", 15);
  const ingestCalls = envInt("BENCH_INGEST_CALLS", 300);
  const ingestRuns = envInt("BENCH_INGEST_RUNS", 3);
  const ingestRounds = envInt("BENCH_INGEST_ROUNDS", 5);
  const report = newReport({
    scenario: "analytics",
    title: "Analytics: a year of history, a 30-day dashboard, rebuild and ingest with rollups",
    command: `BENCH_ANALYTICS_CALLS=${calls} BENCH_ANALYTICS_MESSAGES=${messages} BENCH_RUNS=${runs} npm run bench:analytics`,
    description:
      "A year of history for 50 agents written by bulk SQL (3 inboxes with a voice and an SMS number each; " +
      "calls 80% inbound, 70% of those answered; a third of inbound calls also ring a second agent; messages " +
      "in SMS conversations of five, 80% archived). Rebuild: rebuildAnalytics (switchboard analytics rebuild) " +
      "over all of it, once. Dashboard: the last 30 days, DAY buckets in Europe/Berlin, totals + series + " +
      "per inbox/channel/agent, midnight to midnight in Berlin, by the domain's analytics() (no HTTP): BENCH_RUNS " +
      "one after another, then BENCH_RUNS each right after a baseline query; baseline the same range's figures by " +
      "plain SQL GROUP BY over Call, CallParty and Message (three queries in parallel). Ingest: bench/ingest.ts " +
      "with and without the analytics consumer (with it, a run ends once the consumer caught up).",
    parameters: {
      BENCH_ANALYTICS_CALLS: calls,
      BENCH_ANALYTICS_MESSAGES: messages,
      BENCH_RUNS: runs,
      BENCH_INGEST_CALLS: ingestCalls,
      BENCH_INGEST_RUNS: ingestRuns,
      BENCH_INGEST_ROUNDS: ingestRounds,
    },
    machine: await machineFacts(),
  });
  const database = await freshDatabase("analytics");
  const client = new pg.Client(pgConfigFromUrl(database.url));
  await client.connect();
  const db = await openDatabase({ databaseUrl: database.url, dataDir: "" });
  try {
    await generate(client, calls, messages);
    const rebuildStarted = performance.now();
    let lastShown = 0;
    const { rows } = await rebuildAnalytics(db.prisma, (done, total) => {
      if (done - lastShown >= 200_000 || done === total) {
        say(`rebuild ${done}/${total}`);
        lastShown = done;
      }
    });
    const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
    say(`rebuild: ${rows} rows in ${rebuildSeconds.toFixed(1)} s`);
    // Midnight to midnight in Berlin (UTC+1 in November): a range that is not whole UTC days, as a
    // dashboard in most zones asks for it.
    const to = new Date(END - HOUR_MS);
    const from = new Date(END - 30 * DAY_MS - HOUR_MS);
    const admin = { id: "00000000-0000-0000-0000-000000000000", role: "ADMIN" as const, inboxIds: null };
    const timeZone = "Europe/Berlin";
    const dashboardOnce = async () => {
      const started = performance.now();
      await analytics(db.prisma, admin, { from, to, timeZone, granularity: "DAY" });
      return performance.now() - started;
    };
    // A dashboard refreshed over and over (its rollup pages in PostgreSQL's buffers)…
    const dashboard: number[] = [];
    for (let i = -2; i < runs; i++) {
      const ms = await dashboardOnce();
      if (i >= 0) dashboard.push(ms);
    }
    // …and each time right after the baseline's scans of the raw rows pushed them out.
    const afterBaseline: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await baselineDashboard(client, from, to, timeZone);
      baseline.push(performance.now() - started);
      afterBaseline.push(await dashboardOnce());
    }
    say(`dashboard p50 ${dashboard.sort((a, b) => a - b)[dashboard.length >> 1]!.toFixed(1)} ms`);
    const history = `${calls.toLocaleString("en")} calls, ${messages.toLocaleString("en")} messages, 50 agents, a year`;
    report.rows.push({
      case: history,
      metric: "30-day dashboard (totals + daily series + per agent), repeated",
      unit: "ms",
      samples: dashboard,
      baseline,
      target: "p50 ≤ 50 ms",
      met: (v) => v.median <= 50,
      note: "per query, one after another; baseline: plain SQL GROUP BY over the raw rows, same range",
    });
    report.rows.push({
      case: history,
      metric: "30-day dashboard, each right after a baseline query",
      unit: "ms",
      samples: afterBaseline,
      baseline,
      note: "the baseline's scans of a year of raw rows evict the rollups' pages from PostgreSQL's buffers",
    });
    report.rows.push({
      case: `${rows.toLocaleString("en")} calls, messages, conversations and surveys`,
      metric: "rebuild (switchboard analytics rebuild)",
      unit: "s",
      samples: [rebuildSeconds],
      baseline: [],
      note: "once",
    });
  } finally {
    await client.end();
    await db.close();
    await database.drop();
  }
  // Without and with the consumer in turns, BENCH_INGEST_ROUNDS times: the machine's drift over the
  // minutes this takes falls on both sides.
  const plain: number[] = [];
  const withConsumer: number[] = [];
  let notificationsPerRun = 0;
  for (let round = 0; round < ingestRounds; round++) {
    for (const withAnalytics of [false, true]) {
      const result = await runIngestBench({ calls: ingestCalls, runs: ingestRuns, warmup: 1, withAnalytics, log: say });
      (withAnalytics ? withConsumer : plain).push(...result.rates);
      notificationsPerRun = result.notificationsPerRun;
    }
  }
  report.rows.push({
    case: `${ingestCalls} calls = ${notificationsPerRun} notifications per run`,
    metric: "ingest notifications/s with rollups maintained (consumer caught up)",
    unit: "/s",
    samples: withConsumer,
    baseline: plain,
    target: "≥ 0.85 × without",
    met: (v, b) => v.median >= 0.85 * b.median,
    note: "per run; baseline: the same ingest bench without the analytics consumer, same process, in turns",
  });
  writeReport(report);
  return report;
}

if (isMain(import.meta.url)) {
  const report = await run();
  console.log(renderReport(report));
  process.exit(0);
}
