// Prints the SQL statements call ingest sends for one call of each capture (for profiling ingest).
//   npx tsx bench/ingest-trace.ts [calls] [--batch]   (--batch: all in one transaction, calls interleaved)
import { openDatabase } from "../src/db.ts";
import { createPubSub } from "../src/pubsub.ts";
import { ingestTelephonyNotification, ingestTelephonyNotifications, type CallDirectory } from "../src/domain/calls.ts";
import { parseTelephonyNotification, type Envelope } from "../src/integrations/ringcentral/notifications.ts";
import { createBenchDatabase, dropTemplate } from "./ingest-db.ts";
import { generateNotifications } from "./ingest.ts";

const EXTENSIONS = [
  { id: "809646016", type: "User", email: "admin@switchboard.test" },
  { id: "979428016", type: "User", email: "dispatcher@switchboard.test" },
  { id: "62264425016", type: "User", email: "alice@switchboard.test" },
  { id: "62264426016", type: "User", email: "bob@switchboard.test" },
  { id: "62242421016", type: "IvrMenu" },
  { id: "62242422016", type: "Department" },
];
const directory: CallDirectory = { extension: (id) => EXTENSIONS.find((e) => e.id === id) };

const bench = await createBenchDatabase("trace");
let log: string[] | null = null;
const db = await openDatabase({ databaseUrl: bench.url, dataDir: "", onQuery: (sql) => log?.push(sql) });
const durations = new Map<string, number>();
const keyOf = (sql: string) => sql.replace(/\$\d+/g, "?").replace(/\s+/g, " ").slice(0, 140);
(db.prisma as unknown as { $on: (e: "query", f: (q: { query: string; duration: number }) => void) => void }).$on(
  "query",
  (q) => {
    if (log) durations.set(keyOf(q.query), (durations.get(keyOf(q.query)) ?? 0) + q.duration);
  },
);
try {
  const prisma = db.prisma;
  const admin = await prisma.user.create({ data: { email: "admin@switchboard.test", name: "Admin", role: "ADMIN" } });
  const dispatcher = await prisma.user.create({ data: { email: "dispatcher@switchboard.test", name: "Dispatcher" } });
  const inbox = await prisma.inbox.create({
    data: { name: "Phones", members: { create: [{ userId: admin.id }, { userId: dispatcher.id }] } },
  });
  await prisma.channel.createMany({
    data: [
      { type: "VOICE", phoneNumber: "+18003151571", inboxId: inbox.id },
      { type: "VOICE", phoneNumber: "+17203861294", inboxId: inbox.id },
    ],
  });
  const deps = { prisma, pubsub: createPubSub() };
  const batched = process.argv.includes("--batch");
  const envelopes = generateNotifications(
    Number(process.argv[2] ?? 5),
    "trace",
    batched ? 50 : 1,
  ) as unknown as Envelope[];
  log = [];
  const started = performance.now();
  if (batched) await ingestTelephonyNotifications(deps, directory, envelopes.map(parseTelephonyNotification));
  else
    for (const envelope of envelopes)
      await ingestTelephonyNotification(deps, directory, parseTelephonyNotification(envelope));
  const ms = performance.now() - started;
  const counts = new Map<string, number>();
  for (const sql of log) counts.set(keyOf(sql), (counts.get(keyOf(sql)) ?? 0) + 1);
  console.log("count  total ms  statement");
  for (const [sql, n] of [...counts].sort((a, b) => b[1] - a[1]))
    console.log(String(n).padStart(5), (durations.get(sql) ?? 0).toFixed(0).padStart(9), sql);
  console.log(
    `${envelopes.length} notifications, ${log.length} statements ` +
      `(${(log.length / envelopes.length).toFixed(1)} each), ${ms.toFixed(0)} ms ` +
      `(${(ms / envelopes.length).toFixed(2)} ms each)`,
  );
} finally {
  await db.close();
  await bench.drop();
  await dropTemplate();
}
