// Issue 14, property-based: a call-outcome rule is decided on the settled outcome, never on a passing
// state of RingCentral's disorder. The simulator plays an answered call, a cold-transferred answered
// call and an abandoned call once; each run feeds their notifications, shuffled and duplicated (same
// uuid, or re-sent under a new one), through call ingest in bursts, with the rule runner reading the
// log after every burst. Then the quiet period passes. The starter rule archives exactly the
// abandoned call, and a rule on every ended call fires once per call.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestTelephonyNotification } from "../src/domain/calls.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { parseTelephonyNotification, type Envelope } from "../src/integrations/ringcentral/notifications.ts";
import { createLogger } from "../src/logger.ts";
import { startRuleRunner, type RuleRunner } from "../src/rules/runner.ts";
import { globalId, startTestApi, type TestApi } from "./support/api.ts";
import { captureDirectory, MAIN_NUMBER } from "./support/captures.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, type Simulator } from "./support/simulator.ts";

let sim: Simulator;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let runner: RuleRunner;
let starterId: string;
let everyCallId: string;

const AGENT_EXTENSION = "809646016";
const TRANSFER_TARGET = "979428016";
const QUIET_MS = 60_000;
let clock = new Date("2026-03-02T15:00:00Z");

const SCENARIOS = {
  answered: { type: "inbound", hangup: "caller", from: "+14155550601" },
  coldTransferred: { type: "cold-transfer", transferTo: { extensionId: TRANSFER_TARGET }, from: "+14155550602" },
  abandoned: { type: "abandoned", from: "+14155550603" },
} as const;
type CallName = keyof typeof SCENARIOS;
const NAMES = Object.keys(SCENARIOS) as CallName[];

/** Each scenario's notifications, as RingCentral published them. */
const recorded = {} as Record<CallName, Envelope[]>;

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const result = await api.request<any, any>(query, variables, admin.token);
  expect(result.errors).toBeUndefined();
  return result.data;
};

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi({ redis: null });
  admin = await api.createUser("ADMIN", "permutations");
  const inbox = await seedInbox(api.app, "Main line", [admin.id]);
  await api.app.db.prisma.channel.create({ data: { type: "VOICE", phoneNumber: MAIN_NUMBER, inboxId: inbox.id } });
  for (const name of NAMES) {
    const { telephonySessionId } = await simControl<{ telephonySessionId: string }>(sim, "POST", "scenarios", {
      ...SCENARIOS[name],
      extensionId: AGENT_EXTENSION,
      to: MAIN_NUMBER,
    });
    const published = await simControl<{ records: Envelope[] }>(sim, "GET", "notifications");
    recorded[name] = published.records.filter(
      (r) => (r.body as { telephonySessionId?: string }).telephonySessionId === telephonySessionId,
    );
    expect(recorded[name].length, name).toBeGreaterThan(2);
  }

  const rules = await gql(`{ rules { id name } }`);
  starterId = rules.rules.find((r: any) => r.name === "Archive abandoned calls").id;
  await gql(`mutation($id: ID!) { enableRule(ruleId: $id) { __typename } }`, { id: starterId });
  const tag = await api.app.db.prisma.tag.create({ data: { name: "call-ended" } });
  const created = await gql(
    `mutation($input: RuleInput!) { createRule(input: $input) { ... on RulePayload { rule { id } } } }`,
    {
      input: {
        name: "Tag every ended call",
        trigger: "CALL_ENDED",
        actions: [{ type: "TAG", tagId: globalId("Tag", tag.id) }],
        enabled: true,
      },
    },
  );
  everyCallId = created.createRule.rule.id;

  runner = startRuleRunner({
    prisma: api.app.db.prisma,
    pubsub: api.app.pubsub,
    log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    leases: inProcessLeases(),
    smsSender: () => Promise.reject(new Error("no SMS in these tests")),
    now: () => clock,
    quietMs: QUIET_MS,
    pollMs: 3_600_000, // the test drains it
  });
  await runner.drain();
});
afterAll(async () => {
  await runner?.close();
  await api?.close();
  await sim?.close();
});

/** The scenario's notifications as a call of its own: new session, uuids and caller number. */
function asCallOfRun(name: CallName, run: number): Envelope[] {
  const caller = SCENARIOS[name].from;
  const fresh = `+1415556${String(run).padStart(2, "0")}${NAMES.indexOf(name)}${caller.slice(-1)}`;
  return recorded[name].map((e) => {
    const body = JSON.parse(JSON.stringify(e.body).replaceAll(caller, fresh)) as { telephonySessionId: string };
    return {
      ...e,
      uuid: `${e.uuid}-run${run}`,
      body: { ...body, telephonySessionId: `${body.telephonySessionId}-run${run}` },
    };
  });
}

const sessionOf = (envelopes: Envelope[]) => (envelopes[0]!.body as { telephonySessionId: string }).telephonySessionId;

/** The rule's runs, by the id of the conversation each acted on. */
async function runsOf(ruleGlobalId: string): Promise<{ status: string; conversationId: string }[]> {
  const data = await gql(`query($id: ID!) { ruleRuns(ruleId: $id) { status conversation { id } } }`, {
    id: ruleGlobalId,
  });
  return data.ruleRuns.map((r: any) => ({ status: r.status, conversationId: r.conversation.id as string }));
}

describe("the starter rule under shuffled and duplicated notifications (property)", () => {
  it("archives exactly the abandoned call, and each call's rule fires once", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          answered: fc.array(fc.nat(), { maxLength: 4 }),
          coldTransferred: fc.array(fc.nat(), { maxLength: 4 }),
          abandoned: fc.array(fc.nat(), { maxLength: 4 }),
        }),
        fc.infiniteStream(fc.integer({ min: 0, max: 1_000_000 })),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
        async (duplicates, order, bursts) => {
          run += 1;
          const calls = Object.fromEntries(NAMES.map((name) => [name, asCallOfRun(name, run)])) as Record<
            CallName,
            Envelope[]
          >;
          // Duplicates: even ones a replay (same uuid), odd ones re-sent under a fresh uuid.
          const extra = NAMES.flatMap((name) =>
            duplicates[name].map((pick, n) => {
              const envelope = calls[name][pick % calls[name].length]!;
              return n % 2 === 0 ? envelope : { ...envelope, uuid: `${envelope.uuid}-again${n}` };
            }),
          );
          const shuffled = [...NAMES.flatMap((name) => calls[name]), ...extra]
            .map((envelope) => ({ envelope, key: order.next().value as number }))
            .sort((a, b) => a.key - b.key)
            .map((x) => x.envelope);
          // Bursts as they arrive, the runner reading the log between them (the clock stands still).
          for (let i = 0, k = 0; i < shuffled.length; k++) {
            const size = bursts[k % bursts.length]!;
            for (const envelope of shuffled.slice(i, i + size))
              await ingestTelephonyNotification(
                { prisma: api.app.db.prisma, pubsub: api.app.pubsub },
                captureDirectory,
                parseTelephonyNotification(envelope),
              );
            await runner.drain();
            i += size;
          }
          clock = new Date(clock.getTime() + QUIET_MS + 1000);
          await runner.drain();

          const stored = Object.fromEntries(
            await Promise.all(
              NAMES.map(async (name) => [
                name,
                await api.app.db.prisma.call.findUniqueOrThrow({
                  where: { telephonySessionId: sessionOf(calls[name]) },
                  include: { conversation: true },
                }),
              ]),
            ),
          ) as Record<CallName, { status: string; conversationId: string; conversation: { status: string } }>;
          expect(stored.answered.status).toBe("ENDED");
          expect(stored.coldTransferred.status).toBe("ENDED");
          expect(stored.abandoned.status).toBe("ABANDONED");
          expect(stored.answered.conversation.status).toBe("OPEN");
          expect(stored.coldTransferred.conversation.status).toBe("OPEN");
          expect(stored.abandoned.conversation.status).toBe("ARCHIVED");

          const conversationOf = (name: CallName) => globalId("Conversation", stored[name].conversationId);
          const ofThisRun = (runs: { status: string; conversationId: string }[]) =>
            runs.filter((r) => NAMES.some((name) => conversationOf(name) === r.conversationId));
          const starterRuns = ofThisRun(await runsOf(starterId));
          expect(starterRuns).toEqual([{ status: "DONE", conversationId: conversationOf("abandoned") }]);
          const everyCallRuns = ofThisRun(await runsOf(everyCallId));
          expect(everyCallRuns.map((r) => r.conversationId).sort()).toEqual(NAMES.map(conversationOf).sort());
          expect(everyCallRuns.every((r) => r.status === "DONE")).toBe(true);
        },
      ),
      { numRuns: 8 },
    );
  });
});
