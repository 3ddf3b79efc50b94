// Finding conversations through the API: every filter alone and in pairs, the three orders with
// cursor pagination both ways, text search with highlights, sidebar counts, access rules, bad input,
// and a constant number of SQL statements per page. The fixture is generated from a seeded random
// spec; every expected result is computed from that spec in plain TypeScript here, never by the
// code under test or by SQL.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId, startTestApi, type TestApi } from "./support/api.ts";
import { readmeOperation } from "./support/documented-operations.ts";
import { seedInbox } from "./support/seed.ts";

type Direction = "INBOUND" | "OUTBOUND";
type Outcome = "ENDED" | "MISSED" | "ABANDONED" | "VOICEMAIL";
interface CallSpec {
  direction: Direction;
  status: Outcome;
  at: number;
  answered: boolean;
  transcription: string | null;
}
interface ConversationSpec {
  index: number;
  id: string;
  inboxes: string[];
  status: "OPEN" | "ARCHIVED";
  assignee: string | null;
  tags: string[];
  channel: string;
  contactName: string | null;
  phone: string;
  createdAt: number;
  lastActivityAt: number;
  calls: CallSpec[];
  messages: { direction: Direction; text: string; at: number }[];
  comments: string[];
}

/** mulberry32: the same fixture on every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PHRASES = [
  "Where is my refund?",
  "Please send the invoice again",
  "Delivery was late, call me",
  "I forgot my password",
  "Thanks, all good",
  "Refunds take how long?",
  "Llamé por la factura",
];
const NAMES = ["Maria Lopez", "John Smith", "Refilwe Dlamini", null, "Ana Invoicey"];
const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 10, 1);

const words = (text: string) =>
  text
    .normalize("NFKC")
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu) ?? [];
/** Every searched word starts some word of the text. */
const textMatches = (text: string | null, search: string) =>
  text !== null && words(search).every((w) => words(text).some((t) => t.startsWith(w)));
const searchTexts = (c: ConversationSpec) => [
  ...c.messages.map((m) => m.text),
  ...c.comments,
  ...c.calls.flatMap((call) => (call.transcription ? [call.transcription] : [])),
  c.contactName,
];
const latest = <T extends { at: number }>(items: T[]) => [...items].sort((a, b) => b.at - a.at)[0];

/** When the customer started waiting, by the API's definition, from the spec. */
function waitingSince(c: ConversationSpec): number | null {
  const replies = [
    ...c.messages.filter((m) => m.direction === "OUTBOUND").map((m) => m.at),
    ...c.calls.filter((call) => call.direction === "OUTBOUND").map((call) => call.at),
    ...c.calls.filter((call) => call.answered).map((call) => call.at + 1000),
  ];
  const lastReply = replies.length ? Math.max(...replies) : -Infinity;
  const waiting = [
    ...c.messages.filter((m) => m.direction === "INBOUND").map((m) => m.at),
    ...c.calls.filter((call) => call.direction === "INBOUND" && call.status !== "ENDED").map((call) => call.at),
  ].filter((at) => at > lastReply);
  return waiting.length ? Math.min(...waiting) : null;
}

const LIST = `query List($filter: ConversationFilter, $orderBy: ConversationOrder, $first: Int, $after: String,
  $last: Int, $before: String) {
  conversations(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id } highlights { source nodeId text matches { start length } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const COUNTS = `query Counts($filter: ConversationFilter) {
  conversationCounts(filter: $filter) { total byStatus { status count } byInbox { inbox { id name } count } }
}`;

interface ListResult {
  edges: {
    cursor: string;
    node: { id: string };
    highlights: { source: string; nodeId: string; text: string; matches: { start: number; length: number }[] }[];
  }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

describe("finding conversations", () => {
  let api: TestApi;
  let statements = 0;
  let counting = false;
  type User = Awaited<ReturnType<TestApi["createUser"]>>;
  let admin: User;
  let ana: User;
  let bob: User;
  const inbox: Record<"A" | "B", string> = { A: "", B: "" };
  const channels: Record<string, { id: string; type: "VOICE" | "SMS"; inbox: string }> = {};
  const tags: Record<string, string> = {};
  const spec: ConversationSpec[] = [];

  async function list(token: string, variables: Record<string, unknown>): Promise<ListResult> {
    const result = await api.request<{ conversations: ListResult }, Record<string, unknown>>(LIST, variables, token);
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!.conversations;
  }
  const listIds = async (token: string, variables: Record<string, unknown>) =>
    (await list(token, { first: 100, ...variables })).edges.map((e) => e.node.id);
  const byLastActivity = (cs: ConversationSpec[]) =>
    [...cs].sort((a, b) => b.lastActivityAt - a.lastActivityAt).map((c) => c.id);

  beforeAll(async () => {
    api = await startTestApi({ onQuery: () => counting && statements++ });
    admin = await api.createUser("ADMIN", "boss");
    ana = await api.createUser("AGENT", "ana");
    bob = await api.createUser("AGENT", "bob");
    const prisma = api.app.db.prisma;
    inbox.A = (await seedInbox(api.app, "Support", [ana.id, bob.id])).id;
    inbox.B = (await seedInbox(api.app, "HR", [bob.id])).id;
    for (const [name, type, at] of [
      ["voiceA", "VOICE", "A"],
      ["smsA", "SMS", "A"],
      ["voiceB", "VOICE", "B"],
    ] as const) {
      const channel = await prisma.channel.create({
        data: { type, phoneNumber: `+1800555${1000 + Object.keys(channels).length}`, inboxId: inbox[at] },
      });
      channels[name] = { id: channel.id, type, inbox: inbox[at] };
    }
    for (const name of ["vip", "billing", "spam"])
      tags[name] = (await prisma.tag.create({ data: { name: `lists-${name}` } })).id;

    const next = random(15);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    for (let index = 0; index < 26; index++) {
      const channel = pick(Object.keys(channels));
      const inboxes = index % 6 === 5 ? [inbox.A, inbox.B] : [channels[channel]!.inbox];
      const createdAt = BASE + index * 7 * HOUR + Math.floor(next() * HOUR);
      const calls: CallSpec[] = Array.from({ length: Math.floor(next() * 3) }, (_, k) => {
        const status = pick(["ENDED", "MISSED", "ABANDONED", "VOICEMAIL"] as const);
        const direction = next() < 0.75 ? "INBOUND" : "OUTBOUND";
        return {
          direction,
          status,
          at: createdAt + (k * 2 + 1) * 60_000 + Math.floor(next() * 50_000),
          answered: status === "ENDED",
          transcription: status === "VOICEMAIL" && next() < 0.8 ? pick(PHRASES) : null,
        };
      });
      const messages = Array.from({ length: Math.floor(next() * 4) }, (_, k) => ({
        direction: (next() < 0.6 ? "INBOUND" : "OUTBOUND") as Direction,
        text: pick(PHRASES),
        at: createdAt + (k * 2 + 2) * 60_000 + Math.floor(next() * 50_000),
      }));
      const comments = next() < 0.35 ? [`${pick(PHRASES)} @nobody`] : [];
      const last = Math.max(createdAt, ...calls.map((c) => c.at), ...messages.map((m) => m.at));
      spec.push({
        index,
        id: "",
        inboxes,
        status: next() < 0.3 ? "ARCHIVED" : "OPEN",
        assignee: pick([null, ana.id, bob.id]),
        tags: Object.values(tags).filter(() => next() < 0.35),
        channel,
        contactName: pick(NAMES),
        phone: `+1650555${2000 + index}`,
        createdAt,
        lastActivityAt: last + HOUR,
        calls,
        messages,
        comments,
      });
    }
    for (const c of spec) {
      const contact = await prisma.contact.create({
        data: { name: c.contactName, phones: { create: { e164: c.phone } } },
      });
      const conversation = await prisma.conversation.create({
        data: {
          contactId: contact.id,
          status: c.status,
          assigneeId: c.assignee,
          channelId: channels[c.channel]!.id,
          createdAt: new Date(c.createdAt),
          lastActivityAt: new Date(c.lastActivityAt),
          inboxes: { create: c.inboxes.map((inboxId) => ({ inboxId, lastActivityAt: new Date(c.lastActivityAt) })) },
          tags: { create: c.tags.map((tagId) => ({ tagId })) },
          comments: { create: c.comments.map((body) => ({ body, authorId: admin.id })) },
        },
      });
      c.id = globalId("Conversation", conversation.id);
      for (const call of c.calls)
        await prisma.call.create({
          data: {
            telephonySessionId: `s-${crypto.randomUUID()}`,
            conversationId: conversation.id,
            direction: call.direction,
            status: call.status,
            createdAt: new Date(call.at),
            answeredAt: call.answered ? new Date(call.at + 1000) : null,
            recordings: call.transcription
              ? {
                  create: {
                    ringCentralId: crypto.randomUUID(),
                    kind: "VOICEMAIL",
                    state: "AVAILABLE",
                    transcription: call.transcription,
                  },
                }
              : undefined,
          },
        });
      for (const message of c.messages)
        await prisma.message.create({
          data: {
            conversationId: conversation.id,
            direction: message.direction,
            status: message.direction === "INBOUND" ? "RECEIVED" : "DELIVERED",
            fromNumber: c.phone,
            toNumber: "+18005551000",
            text: message.text,
            createdAt: new Date(message.at),
          },
        });
    }
  });
  afterAll(() => api.close());

  const weekAgo = BASE + 7 * 24 * HOUR;
  // Each case: the filter as a client sends it, and the same condition evaluated on the spec.
  const cases: [string, () => Record<string, unknown>, (c: ConversationSpec) => boolean][] = [
    ["inbox", () => ({ inboxIds: [globalId("Inbox", inbox.B)] }), (c) => c.inboxes.includes(inbox.B)],
    ["status", () => ({ status: "ARCHIVED" }), (c) => c.status === "ARCHIVED"],
    ["assignee", () => ({ assigneeId: bob.globalId }), (c) => c.assignee === bob.id],
    ["unassigned", () => ({ unassigned: true }), (c) => c.assignee === null],
    [
      "tags any",
      () => ({ tags: { any: [tags.vip, tags.spam].map((t) => globalId("Tag", t!)) } }),
      (c) => c.tags.some((t) => t === tags.vip || t === tags.spam),
    ],
    [
      "tags all",
      () => ({ tags: { all: [tags.vip, tags.billing].map((t) => globalId("Tag", t!)) } }),
      (c) => [tags.vip, tags.billing].every((t) => c.tags.includes(t!)),
    ],
    ["tags none", () => ({ tags: { none: [globalId("Tag", tags.billing!)] } }), (c) => !c.tags.includes(tags.billing!)],
    ["channel", () => ({ channelIds: [globalId("Channel", channels.smsA!.id)] }), (c) => c.channel === "smsA"],
    ["channel type", () => ({ channelType: "VOICE" }), (c) => channels[c.channel]!.type === "VOICE"],
    [
      "last call outcome",
      () => ({ lastCallOutcome: ["MISSED", "ABANDONED"] }),
      (c) => ["MISSED", "ABANDONED"].includes(latest(c.calls)?.status ?? ""),
    ],
    [
      "unanswered inbound SMS",
      () => ({ hasUnansweredInboundSms: true }),
      (c) => latest(c.messages)?.direction === "INBOUND",
    ],
    ["answered SMS", () => ({ hasUnansweredInboundSms: false }), (c) => latest(c.messages)?.direction !== "INBOUND"],
    ["phone number", () => ({ phoneNumber: "(650) 555-2007" }), (c) => c.phone === "+16505552007"],
    [
      "created between",
      () => ({ createdBetween: { from: new Date(weekAgo).toISOString() } }),
      (c) => c.createdAt >= weekAgo,
    ],
    [
      "last activity between",
      () => ({ lastActivityBetween: { from: new Date(BASE).toISOString(), to: new Date(weekAgo).toISOString() } }),
      (c) => c.lastActivityAt >= BASE && c.lastActivityAt < weekAgo,
    ],
    ["search", () => ({ search: "REFU" }), (c) => searchTexts(c).some((t) => textMatches(t, "REFU"))],
    [
      "search, two words",
      () => ({ search: "invoice sen" }),
      (c) => searchTexts(c).some((t) => textMatches(t, "invoice sen")),
    ],
  ];

  it("the fixture gives every filter something to find and something to leave out", () => {
    for (const [name, , matches] of cases) {
      const found = spec.filter(matches).length;
      expect(found, name).toBeGreaterThan(0);
      expect(found, name).toBeLessThan(spec.length);
    }
  });

  it("applies each filter alone, most recent activity first", async () => {
    for (const [name, filter, matches] of cases)
      expect(await listIds(admin.token, { filter: filter() }), name).toEqual(byLastActivity(spec.filter(matches)));
  });

  it("applies every pair of filters together", async () => {
    for (const [i, [nameA, filterA, matchesA]] of cases.entries())
      for (const [nameB, filterB, matchesB] of cases.slice(i + 1)) {
        const a = filterA();
        const b = filterB();
        if (Object.keys(a).some((key) => key in b)) continue; // the same field twice is one filter
        expect(await listIds(admin.token, { filter: { ...a, ...b } }), `${nameA} + ${nameB}`).toEqual(
          byLastActivity(spec.filter((c) => matchesA(c) && matchesB(c))),
        );
      }
  });

  it("filters by contact, and by mine", async () => {
    const one = spec[3]!;
    const contactId = (await api.app.db.prisma.contactPhone.findUniqueOrThrow({ where: { e164: one.phone } }))
      .contactId;
    expect(await listIds(admin.token, { filter: { contactId: globalId("Contact", contactId) } })).toEqual([one.id]);
    expect(await listIds(bob.token, { filter: { mine: true } })).toEqual(
      byLastActivity(spec.filter((c) => c.assignee === bob.id)),
    );
  });

  it("never shows an agent a conversation of an inbox they are not in, whatever the filter", async () => {
    const inA = (c: ConversationSpec) => c.inboxes.includes(inbox.A);
    expect(await listIds(ana.token, {})).toEqual(byLastActivity(spec.filter(inA)));
    for (const [name, filter, matches] of cases) {
      // Asking for an inbox she is not in finds nothing, not even a conversation she sees through
      // another inbox: that would tell her it is in the hidden one too.
      const expected = name === "inbox" ? [] : byLastActivity(spec.filter((c) => inA(c) && matches(c)));
      expect(await listIds(ana.token, { filter: filter() }), name).toEqual(expected);
    }
    expect(spec.some((c) => inA(c) && c.inboxes.includes(inbox.B))).toBe(true);
  });

  it("orders by creation and by the customer waiting longest, and pages both ways with cursors", async () => {
    // Conversations nobody waits on come last, in the order of their ids (uuids, as PostgreSQL compares them).
    const waiting = (c: ConversationSpec) => waitingSince(c) ?? Number.POSITIVE_INFINITY;
    const byWaiting = (a: ConversationSpec, b: ConversationSpec) =>
      waiting(a) - waiting(b) || (dbIdOf(a.id) < dbIdOf(b.id) ? -1 : 1);
    const orders: [string, string[]][] = [
      ["LAST_ACTIVITY", byLastActivity(spec)],
      ["CREATED", [...spec].sort((a, b) => b.createdAt - a.createdAt).map((c) => c.id)],
      ["WAITING_LONGEST", [...spec].sort(byWaiting).map((c) => c.id)],
    ];
    expect(spec.some((c) => waitingSince(c) === null)).toBe(true);
    for (const [orderBy, expected] of orders) {
      expect(await listIds(admin.token, { orderBy }), orderBy).toEqual(expected);
      const forward: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: ListResult = await list(admin.token, { orderBy, first: 4, after });
        forward.push(...page.edges.map((e) => e.node.id));
        expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(forward, `${orderBy} forward`).toEqual(expected);
      const backward: string[] = [];
      let before: string | null = null;
      for (;;) {
        const page: ListResult = await list(admin.token, { orderBy, last: 5, before });
        backward.unshift(...page.edges.map((e) => e.node.id));
        if (!page.pageInfo.hasPreviousPage) break;
        before = page.pageInfo.startCursor;
      }
      expect(backward, `${orderBy} backward`).toEqual(expected);
    }
  });

  it("finds words in a transcription and in a comment, in any case and by their start, with highlights", async () => {
    const prisma = api.app.db.prisma;
    const [withVoicemail, withComment] = [spec[0]!, spec[1]!];
    const call = await prisma.call.create({
      data: {
        telephonySessionId: `s-${crypto.randomUUID()}`,
        conversationId: dbIdOf(withVoicemail.id),
        direction: "INBOUND",
        status: "VOICEMAIL",
        createdAt: new Date(withVoicemail.createdAt - 1000),
        recordings: {
          create: {
            ringCentralId: crypto.randomUUID(),
            kind: "VOICEMAIL",
            state: "AVAILABLE",
            transcription: "Hello, this is Zebedee about the Quokka shipment, call me back",
          },
        },
      },
      include: { recordings: true },
    });
    const comment = await prisma.comment.create({
      data: {
        conversationId: dbIdOf(withComment.id),
        authorId: admin.id,
        body: "Zebedee said: QUOKKAS <b>escaped</b>",
      },
    });
    for (const search of ["quokka", "QUOK", "zebedee quo", "Zeb"]) {
      const page = await list(admin.token, { first: 10, filter: { search } });
      expect(page.edges.map((e) => e.node.id).sort(), search).toEqual([withVoicemail.id, withComment.id].sort());
    }
    const page = await list(admin.token, { first: 10, filter: { search: "quok" } });
    const highlights = Object.fromEntries(page.edges.map((e) => [e.node.id, e.highlights]));
    expect(highlights[withVoicemail.id]).toEqual([
      expect.objectContaining({ source: "TRANSCRIPTION", nodeId: globalId("Recording", call.recordings[0]!.id) }),
    ]);
    expect(highlights[withComment.id]).toEqual([
      expect.objectContaining({ source: "COMMENT", nodeId: globalId("Comment", comment.id) }),
    ]);
    for (const [h] of Object.values(highlights)) {
      expect(h!.matches.length).toBeGreaterThan(0);
      for (const m of h!.matches) expect(h!.text.slice(m.start, m.start + m.length).toLowerCase()).toMatch(/^quokka/);
    }
    // Markup-like tags are left out of a fragment (PostgreSQL's parser reads them as tags): no
    // text can smuggle markup into a client that shows fragments.
    expect(highlights[withComment.id]![0]!.text).toMatch(/^Zebedee said: QUOKKAS\s+escaped$/);
    expect((await list(admin.token, { first: 10, filter: { search: "quokkaz" } })).edges).toEqual([]);
    // Without a search there is nothing to highlight.
    expect((await list(admin.token, { first: 3 })).edges.every((e) => e.highlights.length === 0)).toBe(true);
    await prisma.comment.delete({ where: { id: comment.id } });
    await prisma.call.delete({ where: { id: call.id } });
  });

  it("counts per status and per inbox, and an agent's counts leave out the inboxes they cannot see", async () => {
    const counts = async (token: string, filter: Record<string, unknown> = {}) => {
      const result = await api.request<{ conversationCounts: unknown }, object>(COUNTS, { filter }, token);
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      return result.data!.conversationCounts;
    };
    const expected = (cs: ConversationSpec[], inboxes: ["HR" | "Support", string][]) => ({
      total: cs.length,
      byStatus: ["OPEN", "ARCHIVED"].map((status) => ({ status, count: cs.filter((c) => c.status === status).length })),
      byInbox: inboxes.map(([name, id]) => ({
        inbox: { id: globalId("Inbox", id), name },
        count: cs.filter((c) => c.inboxes.includes(id)).length,
      })),
    });
    const both: ["HR" | "Support", string][] = [
      ["HR", inbox.B],
      ["Support", inbox.A],
    ];
    expect(await counts(admin.token)).toEqual(expected(spec, both));
    const unassigned = spec.filter((c) => c.assignee === null);
    expect(await counts(admin.token, { unassigned: true })).toEqual(expected(unassigned, both));
    const inA = spec.filter((c) => c.inboxes.includes(inbox.A));
    expect(await counts(ana.token)).toEqual(expected(inA, [["Support", inbox.A]]));
    // Asking for the hidden inbox does not reveal it.
    expect(await counts(ana.token, { inboxIds: [globalId("Inbox", inbox.B)] })).toEqual(expected([], []));
    expect(await listIds(ana.token, { filter: { inboxIds: [globalId("Inbox", inbox.B)] } })).toEqual([]);
  });

  it("runs the README's calls-to-return view and search as documented", async () => {
    const toReturn = (c: ConversationSpec) =>
      c.status === "OPEN" &&
      c.assignee === null &&
      ["MISSED", "ABANDONED", "VOICEMAIL"].includes(latest(c.calls)?.status ?? "");
    const waiting = (c: ConversationSpec) => waitingSince(c) ?? Number.POSITIVE_INFINITY;
    const expected = spec
      .filter((c) => toReturn(c) && c.inboxes.includes(inbox.A))
      .sort((a, b) => waiting(a) - waiting(b) || (dbIdOf(a.id) < dbIdOf(b.id) ? -1 : 1));
    expect(expected.length).toBeGreaterThan(1);
    const result = await api.request<any, object>(
      readmeOperation("CallsToReturn"),
      { inbox: globalId("Inbox", inbox.A), since: new Date(BASE).toISOString() },
      admin.token,
    );
    expect(result.errors).toBeUndefined();
    const rows = result.data.conversations.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(rows).toEqual(expected.map((c) => c.id));
    expect(result.data.conversationCounts).toEqual({
      total: spec.filter(toReturn).length,
      byInbox: [
        { inbox: { name: "HR" }, count: spec.filter((c) => toReturn(c) && c.inboxes.includes(inbox.B)).length },
        { inbox: { name: "Support" }, count: expected.length },
      ],
    });

    const search = await api.request<any, object>(
      readmeOperation("SearchConversations"),
      { text: "Refu" },
      admin.token,
    );
    expect(search.errors).toBeUndefined();
    const found = search.data.conversations.edges;
    expect(found.map((e: { node: { id: string } }) => e.node.id)).toEqual(
      byLastActivity(spec.filter((c) => searchTexts(c).some((t) => textMatches(t, "Refu")))).slice(0, 20),
    );
    for (const edge of found)
      for (const h of edge.highlights)
        for (const m of h.matches) expect(h.text.slice(m.start, m.start + 4).toLowerCase()).toBe("refu");
  });

  it("refuses bad input with BAD_USER_INPUT", async () => {
    const expectBadInput = async (variables: Record<string, unknown>, query = LIST) => {
      const result = await api.request(query, variables, admin.token);
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe("BAD_USER_INPUT");
    };
    const first = await list(admin.token, { first: 1 });
    await expectBadInput({ filter: { phoneNumber: "not a number" } });
    await expectBadInput({ filter: { search: "?!" } });
    await expectBadInput({ filter: { search: "x".repeat(201) } });
    await expectBadInput({
      filter: { createdBetween: { from: new Date(BASE).toISOString(), to: new Date(BASE).toISOString() } },
    });
    await expectBadInput({ orderBy: "CREATED", after: first.pageInfo.endCursor });
    await expectBadInput({ after: "bm90IGEgY3Vyc29y" });
    await expectBadInput({ first: 101 });
    await expectBadInput({ filter: { mine: true, assigneeId: bob.globalId } });
    await expectBadInput({ filter: { phoneNumber: "nope" } }, COUNTS);
  });

  it("reads any page in the same number of SQL statements, whatever the filters and the page size", async () => {
    /** The statements a request took, and how many conversations it returned. */
    const count = async (variables: Record<string, unknown>) => {
      statements = 0;
      counting = true;
      const page = await list(ana.token, variables);
      counting = false;
      return { statements, found: page.edges.length };
    };
    const found: number[] = [];
    const everything = {
      inboxIds: [globalId("Inbox", inbox.A)],
      status: "OPEN",
      unassigned: true,
      tags: { none: [globalId("Tag", tags.spam!)] },
      channelType: "VOICE",
      lastCallOutcome: ["MISSED"],
      hasUnansweredInboundSms: false,
      createdBetween: { from: new Date(0).toISOString() },
    };
    const shapes = [{}, { filter: { status: "OPEN" } }, { filter: everything }, { orderBy: "WAITING_LONGEST" }];
    for (const shape of shapes)
      for (const first of [1, 10, 50]) {
        // Authentication, the page's ids, the page's conversations (none to read on an empty page).
        const request = await count({ ...shape, first });
        expect(request.statements, JSON.stringify({ shape, first })).toBe(request.found ? 3 : 2);
        found.push(request.found);
      }
    expect(found.filter((n) => n > 0).length).toBeGreaterThanOrEqual(9);
    // A search reads its highlights too: one more, for the whole page.
    for (const first of [1, 10, 50]) {
      const search = await count({ filter: { search: "refu" }, first });
      expect(search.found).toBeGreaterThan(0);
      expect(search.statements).toBe(4);
    }
  });
});

function dbIdOf(globalIdValue: string) {
  return Buffer.from(globalIdValue, "base64").toString().split(":")[1]!;
}

const SPLIT = `mutation Split($conversationId: ID!, $fromMessageId: ID!) {
  splitConversation(conversationId: $conversationId, fromMessageId: $fromMessageId) {
    __typename
    ... on SplitConversationPayload { newConversation { id } }
  }
}`;
const MOVE_CALL = `mutation Move($callId: ID!, $conversationId: ID!) {
  moveCallToConversation(callId: $callId, conversationId: $conversationId) { __typename }
}`;
const RENAME = `mutation Rename($contactId: ID!, $name: String) {
  updateContact(contactId: $contactId, name: $name) { __typename }
}`;

/**
 * Search follows what changes after the texts were written: a split moves words to the new
 * conversation, a renamed contact is found by the new name only, a transcription that arrives
 * later is found, and a moved call takes its transcription along. Words from different texts of a
 * conversation do not make a match (one text must have every word), in the list and in the counts.
 */
async function searchFollowsChanges(api: TestApi) {
  const admin = await api.createUser("ADMIN", "keeper");
  const prisma = api.app.db.prisma;
  const inbox = await seedInbox(api.app, "Kept current");
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 2, 9, minutes));
  const message = (text: string, minutes: number) => ({
    direction: "INBOUND" as const,
    status: "RECEIVED" as const,
    fromNumber: "+16505550142",
    toNumber: "+18005550142",
    text,
    createdAt: at(minutes),
  });
  const original = await prisma.conversation.create({
    data: {
      inboxes: { create: { inboxId: inbox.id } },
      contact: { create: { name: "Olga Petrova" } },
      messages: { create: [message("About the wombat order", 1), message("Also my kangaroo invoice", 2)] },
    },
    include: { messages: { orderBy: { createdAt: "asc" } } },
  });
  const request = async <T>(document: string, variables: object) => {
    const result = await api.request<T, object>(document, variables, admin.token);
    expect(result.errors).toBeUndefined();
    return result.data!;
  };
  const found = async (search: string) => {
    const data = await request<{ conversations: ListResult }>(LIST, { first: 10, filter: { search } });
    return data.conversations.edges.map((e) => e.node.id).sort();
  };
  const counted = async (search: string) =>
    (await request<{ conversationCounts: { total: number } }>(COUNTS, { filter: { search } })).conversationCounts.total;
  const originalId = globalId("Conversation", original.id);

  expect(await found("kangar")).toEqual([originalId]);
  // Both words are in the conversation, but in two messages.
  expect(await found("wombat kangaroo")).toEqual([]);
  expect(await counted("wombat kangaroo")).toBe(0);
  expect(await found("kangaroo invoice")).toEqual([originalId]);

  const split = await request<{ splitConversation: { __typename: string; newConversation: { id: string } } }>(SPLIT, {
    conversationId: originalId,
    fromMessageId: globalId("Message", original.messages[1]!.id),
  });
  expect(split.splitConversation.__typename).toBe("SplitConversationPayload");
  const newId = split.splitConversation.newConversation.id;
  expect(await found("kangar")).toEqual([newId]);
  expect(await counted("kangar")).toBe(1);
  expect(await found("wombat")).toEqual([originalId]);
  // The contact's name is in both documents.
  expect(await found("petrova")).toEqual([originalId, newId].sort());

  await request(RENAME, { contactId: globalId("Contact", original.contactId!), name: "Olga Quenby" });
  expect(await found("quenb")).toEqual([originalId, newId].sort());
  expect(await found("petrova")).toEqual([]);

  const call = await prisma.call.create({
    data: {
      telephonySessionId: `s-${crypto.randomUUID()}`,
      conversationId: original.id,
      direction: "INBOUND",
      status: "VOICEMAIL",
      createdAt: at(3),
      recordings: { create: { ringCentralId: crypto.randomUUID(), kind: "VOICEMAIL", state: "AVAILABLE" } },
    },
    include: { recordings: true },
  });
  expect(await found("platypus")).toEqual([]);
  await prisma.recording.update({
    where: { id: call.recordings[0]!.id },
    data: { transcription: "Call me back about the platypus" },
  });
  expect(await found("platyp")).toEqual([originalId]);

  await request(MOVE_CALL, { callId: globalId("Call", call.id), conversationId: newId });
  expect(await found("platyp")).toEqual([newId]);
  expect(await found("wombat")).toEqual([originalId]);
}

describe("search kept current by the database (PostgreSQL)", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it("finds words where they are after a split, a rename, a late transcription and a moved call", async () => {
    await searchFollowsChanges(api);
  });
});

describe("finding conversations on the embedded database (PGlite)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-lists-"));
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ database: null, dataDir, redis: null });
  });
  afterAll(async () => {
    await api.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("searches, highlights, filters and counts as on PostgreSQL", async () => {
    const admin = await api.createUser("ADMIN", "root");
    const prisma = api.app.db.prisma;
    const inbox = await seedInbox(api.app, "Embedded");
    const conversation = await prisma.conversation.create({
      data: {
        inboxes: { create: { inboxId: inbox.id } },
        contact: { create: { name: "Maria Refugio" } },
        messages: {
          create: {
            direction: "INBOUND",
            status: "RECEIVED",
            fromNumber: "+16505550100",
            toNumber: "+18005550100",
            text: "Where is my REFUND, please",
          },
        },
      },
    });
    await prisma.conversation.create({ data: { inboxes: { create: { inboxId: inbox.id } } } });
    const result = await api.request<{ conversations: ListResult }, object>(
      LIST,
      { first: 5, filter: { search: "refu", hasUnansweredInboundSms: true } },
      admin.token,
    );
    expect(result.errors).toBeUndefined();
    const [edge, ...rest] = result.data!.conversations.edges;
    expect(rest).toEqual([]);
    expect(edge!.node.id).toBe(globalId("Conversation", conversation.id));
    expect(edge!.highlights.map((h) => [h.source, h.text, h.matches])).toEqual([
      ["CONTACT_NAME", "Maria Refugio", [{ start: 6, length: 7 }]],
      ["MESSAGE", "Where is my REFUND, please", [{ start: 12, length: 6 }]],
    ]);
    const counts = await api.request<{ conversationCounts: { total: number } }, object>(
      COUNTS,
      { filter: { search: "REFUND" } },
      admin.token,
    );
    expect(counts.data!.conversationCounts.total).toBe(1);
  });

  it("finds words where they are after a split, a rename, a late transcription and a moved call", async () => {
    await searchFollowsChanges(api);
  });
});
