// Checks that applying a scenario's notifications as one burst (ingestTelephonyNotifications) ends in
// the same state and writes the same events as applying them one by one.
//   npx tsx bench/ingest-equivalence.ts [scenario-json]
import { openDatabase } from "../src/db.ts";
import { createPubSub } from "../src/pubsub.ts";
import { ingestTelephonyNotification, ingestTelephonyNotifications, type CallDirectory } from "../src/domain/calls.ts";
import { parseTelephonyNotification, kindOf, type Envelope } from "../src/integrations/ringcentral/notifications.ts";
import { startSimulator } from "../src/integrations/ringcentral/simulator/index.ts";
import { createBenchDatabase, dropTemplate } from "./ingest-db.ts";

const scenario = JSON.parse(process.argv[2] ?? JSON.stringify({ type: "attended-transfer", to: "+18003151571", from: "+14155550304", extensionId: "62264425016", transferTo: { extensionId: "62264426016" } }));
const sim = await startSimulator({ port: 0 });
const account = (await (await fetch(`${sim.url}/__sim/account`)).json()) as { extensions: { id: string; type: string; email?: string }[] };
const directory: CallDirectory = { extension: (id) => account.extensions.find((e) => e.id === id) };
await fetch(`${sim.url}/__sim/scenarios`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(scenario) });
await new Promise((r) => setTimeout(r, 1500));
const records = ((await (await fetch(`${sim.url}/__sim/notifications`)).json()) as { records: Envelope[] }).records.filter((e) => kindOf(e.event) === "telephony");
await sim.close();

async function apply(batched: boolean) {
  const bench = await createBenchDatabase("equiv");
  const db = await openDatabase({ databaseUrl: bench.url, dataDir: "" });
  try {
    const prisma = db.prisma;
    const users = account.extensions.filter((e) => e.type === "User" && e.email);
    for (const u of users) await prisma.user.create({ data: { email: u.email!.toLowerCase(), name: u.email! } });
    const inbox = await prisma.inbox.create({ data: { name: "Sales" } });
    await prisma.channel.create({ data: { type: "VOICE", phoneNumber: "+18003151571", inboxId: inbox.id } });
    const deps = { prisma, pubsub: createPubSub() };
    const notifications = records.map((e) => parseTelephonyNotification(e));
    const outcomes = batched ? await ingestTelephonyNotifications(deps, directory, notifications) : [];
    if (!batched) for (const n of notifications) outcomes.push(await ingestTelephonyNotification(deps, directory, n));
    const conversations = await prisma.conversation.findMany({ include: { assignee: { select: { email: true } }, calls: { select: { telephonySessionId: true, status: true, answeredById: true } } } });
    const events = await prisma.event.findMany({ orderBy: { sequence: "asc" }, select: { type: true, payload: true } });
    return JSON.stringify(
      {
        outcomes,
        conversations: conversations.map((c) => ({ assignee: c.assignee?.email, calls: c.calls.map((k) => k.status) })),
        events: events.map((e) => `${e.type} ${JSON.stringify(e.payload).replace(/"[0-9a-f-]{36}"/g, "id")}`),
      },
      null,
      1,
    );
  } finally {
    await db.close();
    await bench.drop();
  }
}
const one = await apply(false);
const burst = await apply(true);
console.log(one === burst ? `identical (${records.length} notifications)\n${process.argv.includes("--show") ? one : ""}` : `DIFFERENT\n--- one by one\n${one}\n--- burst\n${burst}`);
await dropTemplate();
