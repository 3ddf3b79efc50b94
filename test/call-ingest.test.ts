// R3.14 and the capture checks at the domain level: the three real captures each make exactly one
// conversation with the right direction, parties, assignee, status and durations, and any
// permutation or duplication of their notifications ends in the in-order state, nothing twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { startTestApi, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import {
  CALLER_NUMBER,
  CAPTURES,
  DISPATCHER_NUMBER,
  MAIN_NUMBER,
  asNewCall,
  captureDirectory,
  readCapture,
} from "./support/captures.ts";
import {
  ingestTelephonyNotification,
  ingestTelephonyNotifications,
  ingestTelephonyNotificationsEach,
  type TelephonyNotification,
  type TelephonyParty,
} from "../src/domain/calls.ts";
import { parseTelephonyNotification, type Envelope } from "../src/integrations/ringcentral/notifications.ts";
import { getDatamodel } from "../src/generated/pothos-prisma-types.ts";
import { holdSeconds, type HoldLog } from "../src/domain/call-state.ts";

let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let dispatcher: Awaited<ReturnType<TestApi["createUser"]>>;

beforeAll(async () => {
  api = await startTestApi({ redis: null });
  // Users linked to the capture's extensions by email (R1.3).
  admin = await api.createUser("ADMIN", "admin");
  await api.app.db.prisma.user.update({ where: { id: admin.id }, data: { email: "admin@switchboard.test" } });
  dispatcher = await api.createUser("AGENT", "dispatcher");
  await api.app.db.prisma.user.update({ where: { id: dispatcher.id }, data: { email: "dispatcher@switchboard.test" } });
  const inbox = await seedInbox(api.app, "Phones", [admin.id, dispatcher.id]);
  await api.app.db.prisma.channel.createMany({
    data: [
      { type: "VOICE", phoneNumber: MAIN_NUMBER, inboxId: inbox.id },
      { type: "VOICE", phoneNumber: DISPATCHER_NUMBER, inboxId: inbox.id },
    ],
  });
});
afterAll(() => api.close());

const deps = () => ({ prisma: api.app.db.prisma, pubsub: api.app.pubsub });

async function replay(envelopes: Envelope[]) {
  const outcomes = [];
  for (const envelope of envelopes)
    outcomes.push(await ingestTelephonyNotification(deps(), captureDirectory, parseTelephonyNotification(envelope)));
  return outcomes;
}

/** Every stored column of the model, but those that name the run (ids, the session) or the wall clock. */
function storedFields(model: "Call" | "CallParty", namingTheRun: string[]): string[] {
  const fields = getDatamodel().datamodel.models[model]!.fields;
  const stored = fields.filter((f) => f.kind !== "object" && !f.isUpdatedAt);
  return stored.filter((f) => !namingTheRun.includes(f.name)).map((f) => f.name);
}
// Call.createdAt is the time of the first notification that could be routed, not of the earliest
// one: it depends on arrival order (reported, left for its own fix), so it is left out here.
const CALL_FIELDS = storedFields("Call", ["id", "telephonySessionId", "conversationId", "createdAt"]);
const PARTY_FIELDS = storedFields("CallParty", ["id", "callId"]);
const storedValues = <Row extends object>(row: Row, fields: string[]) =>
  Object.fromEntries(fields.map((f) => [f, (row as Record<string, unknown>)[f]])) as Partial<Row>;

async function endState(telephonySessionId: string) {
  const call = await api.app.db.prisma.call.findUniqueOrThrow({
    where: { telephonySessionId },
    include: {
      parties: { orderBy: { partyId: "asc" } },
      conversation: { include: { activities: true, contact: { include: { phones: true } } } },
    },
  });
  const conversationCalls = await api.app.db.prisma.call.count({ where: { conversationId: call.conversationId } });
  return {
    conversationCalls,
    direction: call.direction,
    status: call.status,
    talkSeconds: call.talkSeconds,
    answeredAt: call.answeredAt?.toISOString() ?? null,
    endedAt: call.endedAt?.toISOString() ?? null,
    answeredById: call.answeredById,
    assigneeId: call.conversation.assigneeId,
    contact: call.conversation.contact?.phones.map((p) => p.e164) ?? [],
    row: storedValues(call, CALL_FIELDS),
    parties: call.parties.map((p) => ({ ...storedValues(p, PARTY_FIELDS), partyId: p.partyId.slice(-2) })),
    callEndedActivities: call.conversation.activities.filter((a) => a.type === "CALL_ENDED").map((a) => a.data),
  };
}

/**
 * The captures never mute; here each party is muted in its even-sequence snapshots, so a late,
 * stale snapshot that overwrote the stored one would show in the end state.
 */
function togglingMute(envelopes: Envelope[]): Envelope[] {
  return envelopes.map((e) => {
    const body = e.body as { sequence: number; parties: { muted: boolean }[] };
    const parties = body.parties.map((p) => ({ ...p, muted: body.sequence % 2 === 0 }));
    return { ...e, body: { ...body, parties } } as Envelope;
  });
}

const sessionOf = (envelopes: Envelope[]) => (envelopes[0]!.body as { telephonySessionId: string }).telephonySessionId;

describe("the real captures through call ingest", () => {
  it("inbound PSTN → IVR → user: one INBOUND conversation, assigned to the answering user, ENDED with talk time; the IVR leg is no call of its own", async () => {
    const envelopes = asNewCall(readCapture(CAPTURES.inbound), "in");
    await replay(envelopes);
    const state = await endState(sessionOf(envelopes));
    expect(state).toMatchObject({
      conversationCalls: 1,
      direction: "INBOUND",
      status: "ENDED",
      answeredById: admin.id,
      assigneeId: admin.id,
      contact: [CALLER_NUMBER],
    });
    expect(state.parties.map((p) => [p.partyId, p.role, p.statusCode])).toEqual([
      ["-1", "EXTERNAL", "Disconnected"],
      ["-2", "IVR", "Disconnected"],
      ["-3", "AGENT", "Disconnected"],
    ]);
    // Talk time runs from the user's answer (seq 8) to the user's hang-up (seq 12 ends the call).
    expect(state.talkSeconds).toBe(Math.round((Date.parse(state.endedAt!) - Date.parse(state.answeredAt!)) / 1000));
    expect(state.talkSeconds).toBeGreaterThan(0);
    expect(state.callEndedActivities).toHaveLength(1);
    // The user held the caller from seq 9 (01:06:04.601) until answering again at seq 10 (01:06:06.994).
    const agentLeg = state.parties.find((p) => p.role === "AGENT")!;
    expect((agentLeg.holdLog as HoldLog).map(([sequence, onHold]) => [sequence, onHold])).toEqual([
      [6, 0],
      [7, 0],
      [8, 0],
      [9, 1],
      [10, 0],
      [11, 0],
    ]);
    expect(holdSeconds(agentLeg.holdLog as HoldLog)).toBe(2.393);
  });

  it("outbound user → PSTN: one OUTBOUND conversation assigned to the caller, answered when the customer answered", async () => {
    const envelopes = asNewCall(readCapture(CAPTURES.outbound), "out");
    await replay(envelopes);
    const state = await endState(sessionOf(envelopes));
    const customerAnswered = envelopes.find((e) => {
      const party = (e.body as { parties: { id: string; status: { code: string } }[] }).parties[0]!;
      return party.id.endsWith("-2") && party.status.code === "Answered";
    })!;
    expect(state).toMatchObject({
      conversationCalls: 1,
      direction: "OUTBOUND",
      status: "ENDED",
      assigneeId: admin.id,
      contact: [CALLER_NUMBER],
    });
    expect(state.answeredAt).toBe(new Date((customerAnswered.body as { eventTime: string }).eventTime).toISOString());
  });

  it("extension → extension from a connected number: one OUTBOUND conversation, answered on the callee's answer", async () => {
    const envelopes = asNewCall(readCapture(CAPTURES.extensionToExtension), "ext");
    await replay(envelopes);
    const state = await endState(sessionOf(envelopes));
    expect(state).toMatchObject({
      conversationCalls: 1,
      direction: "OUTBOUND",
      status: "ENDED",
      assigneeId: dispatcher.id,
    });
    const calleeAnswered = envelopes.find((e) => {
      const party = (e.body as { parties: { id: string; status: { code: string } }[] }).parties[0]!;
      return party.id.endsWith("-2") && party.status.code === "Answered";
    })!;
    expect(state.answeredAt).toBe(new Date((calleeAnswered.body as { eventTime: string }).eventTime).toISOString());
  });

  it("ignores a replayed notification (same uuid) and reports it as a duplicate", async () => {
    const envelopes = asNewCall(readCapture(CAPTURES.inbound), "dup");
    await replay(envelopes);
    const before = await endState(sessionOf(envelopes));
    const events = await api.app.db.prisma.event.count();
    expect(await replay(envelopes.slice(0, 3))).toEqual(["duplicate", "duplicate", "duplicate"]);
    expect(await endState(sessionOf(envelopes))).toEqual(before);
    expect(await api.app.db.prisma.event.count()).toBe(events);
  });

  it("does not show a call that never involves a connected number (R3.11)", async () => {
    const envelopes = asNewCall(readCapture(CAPTURES.inbound), "elsewhere").map(
      (e) => JSON.parse(JSON.stringify(e).replaceAll(MAIN_NUMBER, "+18005550000")) as Envelope,
    );
    expect(new Set(await replay(envelopes))).toEqual(new Set(["unrouted"]));
    expect(await api.app.db.prisma.call.count({ where: { telephonySessionId: sessionOf(envelopes) } })).toBe(0);
  });
});

describe("order-insensitivity (R3.14), property-based", () => {
  for (const [name, file] of Object.entries(CAPTURES)) {
    it(`${name}: any permutation with duplicates (same or new uuid) ends in the in-order state, with one \
call-ended entry`, async () => {
      const expected = await (async () => {
        const envelopes = togglingMute(asNewCall(readCapture(file), `order-${name}`));
        await replay(envelopes);
        return normalise(await endState(sessionOf(envelopes)));
      })();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.shuffledSubarray(
            readCapture(file).map((_, i) => i),
            { minLength: 0 },
          ),
          fc.infiniteStream(fc.integer({ min: 0, max: 1000 })),
          async (duplicatedIndexes, seeds) => {
            run += 1;
            const envelopes = togglingMute(asNewCall(readCapture(file), `${name}-${run}`));
            // Duplicates: some with the same uuid (a replay), some re-sent under a fresh uuid.
            const extra = duplicatedIndexes.map((i, n) =>
              n % 2 === 0 ? envelopes[i]! : { ...envelopes[i]!, uuid: `${envelopes[i]!.uuid}-again` },
            );
            const all = [...envelopes, ...extra];
            const order = all
              .map((e) => ({ e, key: seeds.next().value as number }))
              .sort((a, b) => a.key - b.key)
              .map((x) => x.e);
            await replay(order);
            expect(normalise(await endState(sessionOf(envelopes)))).toEqual(expected);
          },
        ),
        { numRuns: 12 },
      );
    });
  }
});

describe("bursts: many notifications in one transaction, as one by one", () => {
  /** The events a conversation got, with the ids that differ between runs blanked. */
  async function eventsOf(telephonySessionId: string) {
    const call = await api.app.db.prisma.call.findUniqueOrThrow({ where: { telephonySessionId } });
    const events = await api.app.db.prisma.event.findMany({
      where: { conversationId: call.conversationId },
      orderBy: { sequence: "asc" },
    });
    return events.map(
      (e) =>
        `${e.type} ${JSON.stringify(e.payload)
          .replace(/"[0-9a-f-]{36}"/g, '"id"')
          .replaceAll(telephonySessionId, "session")}`,
    );
  }

  for (const [name, file] of Object.entries(CAPTURES)) {
    it(`${name}: one burst writes the same state and the same events, in the same order, as one by one`, async () => {
      const single = asNewCall(readCapture(file), `single-${name}`);
      await replay(single);
      const burst = asNewCall(readCapture(file), `burst-${name}`);
      const outcomes = await ingestTelephonyNotifications(
        deps(),
        captureDirectory,
        burst.map((e) => parseTelephonyNotification(e)),
      );
      expect(outcomes).toEqual(burst.map(() => "applied"));
      expect(normalise(await endState(sessionOf(burst)))).toEqual(normalise(await endState(sessionOf(single))));
      expect(await eventsOf(sessionOf(burst))).toEqual(await eventsOf(sessionOf(single)));
      expect((await eventsOf(sessionOf(burst))).length).toBeGreaterThan(2);
    });

    it(`${name}: any permutation with duplicates, cut into bursts of any size, ends in the in-order \
state`, async () => {
      const expected = await (async () => {
        const envelopes = togglingMute(asNewCall(readCapture(file), `burst-order-${name}`));
        await replay(envelopes);
        return normalise(await endState(sessionOf(envelopes)));
      })();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.shuffledSubarray(
            readCapture(file).map((_, i) => i),
            { minLength: 0 },
          ),
          fc.infiniteStream(fc.integer({ min: 0, max: 1000 })),
          fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 }),
          async (duplicatedIndexes, seeds, sizes) => {
            run += 1;
            const envelopes = togglingMute(asNewCall(readCapture(file), `${name}-bursts-${run}`));
            const extra = duplicatedIndexes.map((i, n) =>
              n % 2 === 0 ? envelopes[i]! : { ...envelopes[i]!, uuid: `${envelopes[i]!.uuid}-again` },
            );
            const order = [...envelopes, ...extra]
              .map((e) => ({ e, key: seeds.next().value as number }))
              .sort((a, b) => a.key - b.key)
              .map((x) => x.e);
            for (let i = 0, k = 0; i < order.length; k++) {
              const size = sizes[k % sizes.length]!;
              await ingestTelephonyNotifications(
                deps(),
                captureDirectory,
                order.slice(i, i + size).map((e) => parseTelephonyNotification(e)),
              );
              i += size;
            }
            expect(normalise(await endState(sessionOf(envelopes)))).toEqual(expected);
          },
        ),
        { numRuns: 10 },
      );
    });
  }

  it("several calls in one burst: each its own conversation, none mixed up", async () => {
    const calls = Object.values(CAPTURES).map((file, i) => asNewCall(readCapture(file), `mixed-${i}`));
    const singles = Object.values(CAPTURES).map((file, i) => asNewCall(readCapture(file), `mixed-single-${i}`));
    for (const envelopes of singles) await replay(envelopes);
    const longest = Math.max(...calls.map((c) => c.length));
    const interleaved = Array.from({ length: longest }, (_, k) =>
      calls.flatMap((c) => (k < c.length ? [c[k]!] : [])),
    ).flat();
    await ingestTelephonyNotifications(
      deps(),
      captureDirectory,
      interleaved.map((e) => parseTelephonyNotification(e)),
    );
    for (const [i, envelopes] of calls.entries()) {
      expect(normalise(await endState(sessionOf(envelopes)))).toEqual(
        normalise(await endState(sessionOf(singles[i]!))),
      );
    }
  });
});

/** The end state minus what names the run (session ids differ by design). */
function normalise(state: Awaited<ReturnType<typeof endState>>) {
  return {
    ...state,
    callEndedActivities: state.callEndedActivities.map((d) => ({ ...(d as object), callId: undefined })),
  };
}

describe("a burst that fails: each notification on its own", () => {
  it("applies the good notifications, fails the bad one alone, and says why the burst was split", async () => {
    const [file] = Object.values(CAPTURES);
    const notifications = asNewCall(readCapture(file!), "split-burst").map((e) => parseTelephonyNotification(e));
    // An id PostgreSQL cannot store (a NUL character): the burst's transaction fails on it.
    const bad = { ...notifications[1]!, uuid: `${notifications[1]!.uuid}\u0000` };
    const burst = [notifications[0]!, bad, ...notifications.slice(2)];
    const splits: unknown[] = [];
    const results = await ingestTelephonyNotificationsEach(deps(), captureDirectory, burst, (error) =>
      splits.push(error),
    );
    expect(splits).toHaveLength(1);
    expect(results.map((r) => r.status)).toEqual(burst.map((n) => (n === bad ? "rejected" : "fulfilled")));
    const good = burst.filter((n) => n !== bad).map((n) => n.uuid);
    const stored = await api.app.db.prisma.processedNotification.findMany({ where: { uuid: { in: good } } });
    expect(stored.map((r) => r.uuid).sort()).toEqual(good.sort());
  });
});

describe("attended transfer across sessions (R3.8, R3.14)", () => {
  const party = (partyId: string, over: Partial<TelephonyParty>): TelephonyParty => ({
    partyId,
    direction: "Inbound",
    extensionId: null,
    fromNumber: null,
    toNumber: null,
    statusCode: "Setup",
    reason: null,
    missedCall: false,
    queueCall: false,
    muted: false,
    peerTelephonySessionId: null,
    ...over,
  });
  const at = (second: number) => new Date(Date.UTC(2026, 0, 2, 9, 0, second));

  /** The customer's call answered by the admin, then the admin's consultation with the dispatcher, linked by peerId. */
  function transferNotifications(suffix: string): TelephonyNotification[] {
    const original = `s-original-${suffix}`;
    const consult = `s-consult-${suffix}`;
    const customer = { fromNumber: "+14155550777", toNumber: MAIN_NUMBER };
    const n = (session: string, sequence: number, second: number, p: TelephonyParty): TelephonyNotification => ({
      uuid: `${session}-${sequence}`,
      telephonySessionId: session,
      sequence,
      eventTime: at(second),
      parties: [p],
    });
    return [
      n(original, 2, 0, party("o-1", { ...customer, direction: "Outbound", statusCode: "Answered" })),
      n(original, 3, 1, party("o-2", { ...customer, extensionId: "809646016", statusCode: "Answered" })),
      // The consultation: the admin dials the dispatcher's extension — no connected number in it.
      n(
        consult,
        2,
        10,
        party("c-1", {
          direction: "Outbound",
          extensionId: "809646016",
          fromNumber: "11101",
          toNumber: "11104",
          statusCode: "Setup",
        }),
      ),
      n(
        consult,
        3,
        12,
        party("c-2", { extensionId: "979428016", fromNumber: "11101", toNumber: "11104", statusCode: "Answered" }),
      ),
      // The transfer completes: both of the admin's legs are Gone, pointing across.
      n(
        original,
        4,
        20,
        party("o-2", {
          ...customer,
          extensionId: "809646016",
          statusCode: "Gone",
          reason: "AttendedTransfer",
          peerTelephonySessionId: consult,
        }),
      ),
      n(
        consult,
        4,
        20,
        party("c-1", {
          direction: "Outbound",
          extensionId: "809646016",
          statusCode: "Gone",
          reason: "AttendedTransfer",
          peerTelephonySessionId: original,
        }),
      ),
    ];
  }

  async function outcome(suffix: string) {
    const call = await api.app.db.prisma.call.findUniqueOrThrow({
      where: { telephonySessionId: `s-original-${suffix}` },
      include: { conversation: true },
    });
    const calls = await api.app.db.prisma.call.count({ where: { conversationId: call.conversationId } });
    return { calls, assigneeId: call.conversation.assigneeId };
  }

  it("threads the consultation into the customer's conversation and hands it to the dispatcher, in order or not", async () => {
    const inOrder = transferNotifications("in-order");
    for (const notification of inOrder) await ingestTelephonyNotification(deps(), captureDirectory, notification);
    expect(await outcome("in-order")).toEqual({ calls: 2, assigneeId: dispatcher.id });

    // The consultation's events all arrive before anything of the customer's call.
    const consultFirst = transferNotifications("consult-first");
    const order = [
      ...consultFirst.filter((n) => n.telephonySessionId.startsWith("s-consult")),
      ...consultFirst.filter((n) => n.telephonySessionId.startsWith("s-original")),
    ];
    for (const notification of order) await ingestTelephonyNotification(deps(), captureDirectory, notification);
    expect(await outcome("consult-first")).toEqual({ calls: 2, assigneeId: dispatcher.id });
  });

  it("does the same when both calls' events arrive in one burst, in order or consultation first", async () => {
    await ingestTelephonyNotifications(deps(), captureDirectory, transferNotifications("burst"));
    expect(await outcome("burst")).toEqual({ calls: 2, assigneeId: dispatcher.id });

    const consultFirst = transferNotifications("burst-consult-first");
    const isConsult = (n: TelephonyNotification) => n.telephonySessionId.startsWith("s-consult");
    await ingestTelephonyNotifications(deps(), captureDirectory, [
      ...consultFirst.filter(isConsult),
      ...consultFirst.filter((n) => !isConsult(n)),
    ]);
    expect(await outcome("burst-consult-first")).toEqual({ calls: 2, assigneeId: dispatcher.id });
  });

  it("keeps an agent BUSY while they are on another call, however their leg leaves this one (other calls' legs read on demand)", async () => {
    // The dispatcher starts on no call (earlier tests left consultation legs open).
    await api.app.db.prisma.callParty.updateMany({
      where: { extensionId: "979428016", endedAt: null },
      data: { endedAt: at(0) },
    });
    await api.app.db.prisma.user.update({
      where: { id: dispatcher.id },
      data: { status: "AVAILABLE", statusBeforeCall: null },
    });
    const customer = (n: number) => ({ fromNumber: `+1415555080${n}`, toNumber: MAIN_NUMBER });
    const leg = (
      session: string,
      sequence: number,
      second: number,
      statusCode: string,
      n: number,
    ): TelephonyNotification => ({
      uuid: `${session}-${sequence}`,
      telephonySessionId: session,
      sequence,
      eventTime: at(second),
      parties: [
        party(`${session}-1`, { ...customer(n), direction: "Outbound", statusCode: "Answered" }),
        party(`${session}-2`, { ...customer(n), extensionId: "979428016", statusCode }),
      ],
    });
    const status = async () =>
      (await api.app.db.prisma.user.findUniqueOrThrow({ where: { id: dispatcher.id } })).status;
    await ingestTelephonyNotifications(deps(), captureDirectory, [
      leg("s-two-calls-a", 1, 0, "Answered", 1),
      leg("s-two-calls-b", 1, 1, "Answered", 2),
    ]);
    expect(await status()).toBe("BUSY");
    // The leg leaves call a without a hang-up status (back to Proceeding): still on call b.
    await ingestTelephonyNotification(deps(), captureDirectory, leg("s-two-calls-a", 2, 5, "Proceeding", 1));
    expect(await status()).toBe("BUSY");
    await ingestTelephonyNotification(deps(), captureDirectory, leg("s-two-calls-a", 3, 6, "Disconnected", 1));
    expect(await status()).toBe("BUSY");
    await ingestTelephonyNotification(deps(), captureDirectory, leg("s-two-calls-b", 2, 7, "Proceeding", 2));
    expect(await status()).toBe("AVAILABLE");
  });

  it("routes a consultation buffered by an earlier burst when a later burst stores its peer", async () => {
    const notifications = transferNotifications("two-bursts");
    const isConsult = (n: TelephonyNotification) => n.telephonySessionId.startsWith("s-consult");
    expect(await ingestTelephonyNotifications(deps(), captureDirectory, notifications.filter(isConsult))).toEqual([
      "unrouted",
      "unrouted",
      "unrouted",
    ]);
    await ingestTelephonyNotifications(
      deps(),
      captureDirectory,
      notifications.filter((n) => !isConsult(n)),
    );
    expect(await outcome("two-bursts")).toEqual({ calls: 2, assigneeId: dispatcher.id });
    expect(
      await api.app.db.prisma.unroutedCallEvent.count({ where: { telephonySessionId: "s-consult-two-bursts" } }),
    ).toBe(0);
  });
});

describe("a late, stale party notification (older sequence than the stored snapshot)", () => {
  const at = (second: number) => new Date(Date.UTC(2026, 0, 3, 9, 0, second));
  const customer = "+14155550321";
  type Snapshot = Pick<TelephonyParty, "muted" | "fromNumber" | "toNumber">;
  const caller = (suffix: string, sequence: number, snapshot: Snapshot): TelephonyNotification => ({
    uuid: `stale-${suffix}-${sequence}`,
    telephonySessionId: `s-stale-${suffix}`,
    sequence,
    eventTime: at(sequence),
    parties: [
      {
        partyId: `stale-${suffix}-1`,
        direction: "Outbound",
        extensionId: null,
        statusCode: "Answered",
        reason: null,
        missedCall: false,
        queueCall: false,
        peerTelephonySessionId: null,
        ...snapshot,
      } satisfies TelephonyParty,
    ],
  });
  const newer = { muted: true, fromNumber: customer, toNumber: MAIN_NUMBER };
  const older = { muted: false, fromNumber: "+14155550999", toNumber: DISPATCHER_NUMBER };
  const storedParty = async (suffix: string) => {
    const party = await api.app.db.prisma.callParty.findFirstOrThrow({ where: { partyId: `stale-${suffix}-1` } });
    return { muted: party.muted, fromNumber: party.fromNumber, toNumber: party.toNumber, sequence: party.sequence };
  };

  it("keeps the newer snapshot's muted, fromNumber and toNumber, one by one", async () => {
    await ingestTelephonyNotification(deps(), captureDirectory, caller("single", 5, newer));
    expect(await ingestTelephonyNotification(deps(), captureDirectory, caller("single", 3, older))).toBe("applied");
    expect(await storedParty("single")).toEqual({ ...newer, sequence: 5 });
  });

  it("keeps the newer snapshot's muted, fromNumber and toNumber, in one burst", async () => {
    const burst = [caller("burst", 5, newer), caller("burst", 3, older)];
    await ingestTelephonyNotifications(deps(), captureDirectory, burst);
    expect(await storedParty("burst")).toEqual({ ...newer, sequence: 5 });
  });
});
