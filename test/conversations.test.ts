// Conversations (R6.1, R6.2, R8.1) through the API: inbox and root lists ordered by last activity
// with cursor pagination and filters; assign/unassign/archive/reopen/tag/untag with their timeline
// activities; comments with @mentions; the merged timeline; node(id:) for every node type.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionResult } from "graphql";
import { globalId, resolveNodes, startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedConversation, seedConversationWithActivity, seedInbox } from "./support/seed.ts";
import {
  AddCommentOnDocument,
  AddInboxMemberAsAnyoneDocument,
  ArchiveConversationFullDocument,
  AssignConversationFullDocument,
  CreateTagDocument,
  InboxConversationsFilteredDocument,
  MentionsDocument,
  NodeLookupDocument,
  ReopenConversationDocument,
  RootConversationsDocument,
  TagConversationDocument,
  TimelinePageDocument,
  UnassignConversationDocument,
  UntagConversationDocument,
  type ConversationFilter,
  type InboxConversationsFilteredQuery,
  type RootConversationsQuery,
  type TimelinePageQuery,
} from "./generated/graphql.ts";

type User = { id: string; globalId: string; token: string; email: string };
type TimelineItem = NonNullable<
  Extract<TimelinePageQuery["node"], { __typename?: "Conversation" }>
>["timeline"]["edges"][number]["node"];

describe("conversations through the API", () => {
  let api: TestApi;
  let admin: User;
  let ana: User;
  let bob: User;
  let carl: User;
  let olga: User;

  const prisma = () => api.app.db.prisma;
  const dbId = (id: string) => Buffer.from(id, "base64").toString("utf8").split(":")[1]!;

  /** Row counts of everything a conversation mutation may write. */
  const counts = async () => {
    const p = prisma();
    const [activities, comments, mentions, tags, conversationTags, events, conversations] = await Promise.all([
      p.activity.count(),
      p.comment.count(),
      p.mention.count(),
      p.tag.count(),
      p.conversationTag.count(),
      p.event.count(),
      p.conversation.count(),
    ]);
    return { activities, comments, mentions, tags, conversationTags, events, conversations };
  };

  /** Sets a conversation's last activity (as the worker's writes would) to order a list deterministically. */
  async function setLastActivity(conversationId: string, at: Date) {
    await prisma().conversation.update({ where: { id: conversationId }, data: { lastActivityAt: at } });
    await prisma().conversationInbox.updateMany({ where: { conversationId }, data: { lastActivityAt: at } });
  }

  async function inboxPage(
    token: string,
    variables: {
      inboxId: string;
      first?: number;
      after?: string | null;
      status?: "OPEN" | "ARCHIVED";
      assigneeId?: string;
      unassigned?: boolean;
    },
  ) {
    const result: ExecutionResult<InboxConversationsFilteredQuery> = await api.request(
      InboxConversationsFilteredDocument,
      variables,
      token,
    );
    expect(result.errors).toBeUndefined();
    const inbox = result.data!.node;
    if (inbox?.__typename !== "Inbox") throw new Error(`not an inbox: ${JSON.stringify(result)}`);
    return inbox.conversations;
  }

  async function rootPage(token: string, filter: ConversationFilter, first = 50, after: string | null = null) {
    const result: ExecutionResult<RootConversationsQuery> = await api.request(
      RootConversationsDocument,
      { filter, first, after },
      token,
    );
    expect(result.errors).toBeUndefined();
    return result.data!.conversations;
  }

  async function timeline(conversationId: string, token = admin.token, first = 50, after: string | null = null) {
    const result: ExecutionResult<TimelinePageQuery> = await api.request(
      TimelinePageDocument,
      { id: conversationId, first, after },
      token,
    );
    expect(result.errors).toBeUndefined();
    const node = result.data!.node;
    if (node?.__typename !== "Conversation") throw new Error(`not a conversation: ${JSON.stringify(result)}`);
    return node.timeline;
  }

  const activityTypes = (items: TimelineItem[]) => items.flatMap((i) => (i.__typename === "Activity" ? [i.type] : []));

  async function createTag(name: string) {
    const result = await api.request(CreateTagDocument, { name }, admin.token);
    const payload = result.data!.createTag;
    if (payload.__typename !== "TagPayload") throw new Error(JSON.stringify(result));
    return payload.tag;
  }

  beforeAll(async () => {
    api = await startTestApi();
    admin = await api.createUser("ADMIN", "root");
    ana = await api.createUser("AGENT", "ana");
    bob = await api.createUser("AGENT", "bob");
    carl = await api.createUser("AGENT", "carl");
    olga = await api.createUser("AGENT", "olga");
    await seedInbox(api.app, "Elsewhere", [olga.id]);
  });
  afterAll(() => api.close());

  it("lists an inbox's conversations by last activity, newest first, with cursor pagination", async () => {
    const inbox = await seedInbox(api.app, "Ordering", [ana.id]);
    const conversations: Awaited<ReturnType<typeof seedConversation>>[] = [];
    for (let i = 0; i < 5; i++)
      conversations.push(await seedConversation(api.app, { inboxIds: [inbox.id], subject: `c${i}` }));
    const base = Date.now() - 3_600_000;
    const minutes = [30, 10, 50, 20, 40];
    for (const [i, c] of conversations.entries()) await setLastActivity(c.id, new Date(base + minutes[i]! * 60_000));
    const expected = [2, 4, 0, 3, 1].map((i) => conversations[i]!.globalId);

    const seen: string[] = [];
    let after: string | null = null;
    const hasNext: boolean[] = [];
    for (;;) {
      const page = await inboxPage(ana.token, { inboxId: inbox.globalId, first: 2, after });
      seen.push(...page.edges.map((e) => e.node.id));
      hasNext.push(page.pageInfo.hasNextPage);
      if (!page.pageInfo.hasNextPage) break;
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
      after = page.pageInfo.endCursor ?? null;
    }
    expect(seen).toEqual(expected);
    expect(hasNext).toEqual([true, true, false]);

    // The root field pages the same way.
    const first = await rootPage(ana.token, { inboxId: inbox.globalId }, 3);
    expect(first.edges.map((e) => e.node.id)).toEqual(expected.slice(0, 3));
    expect(first.pageInfo).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: first.edges[0]!.cursor,
    });
    const second = await rootPage(ana.token, { inboxId: inbox.globalId }, 3, first.pageInfo.endCursor ?? null);
    expect(second.edges.map((e) => e.node.id)).toEqual(expected.slice(3));
    expect(second.pageInfo.hasNextPage).toBe(false);

    // New activity moves a conversation to the top.
    const comment = await api.request(AddCommentOnDocument, { conversationId: expected[4]!, body: "bump" }, ana.token);
    expect(comment.data!.addComment.__typename).toBe("CommentPayload");
    const bumped = await inboxPage(ana.token, { inboxId: inbox.globalId, first: 10 });
    expect(bumped.edges.map((e) => e.node.id)).toEqual([expected[4], ...expected.slice(0, 4)]);
  });

  it("filters by status, assignee and unassigned on Inbox.conversations and root conversations(filter:)", async () => {
    const inbox = await seedInbox(api.app, "Filters", [ana.id, bob.id]);
    const other = await seedInbox(api.app, "Filters other", [ana.id]);
    const [toAna, toBob, open, archived] = [
      await seedConversation(api.app, { inboxIds: [inbox.id] }),
      await seedConversation(api.app, { inboxIds: [inbox.id] }),
      await seedConversation(api.app, { inboxIds: [inbox.id] }),
      await seedConversation(api.app, { inboxIds: [inbox.id] }),
    ];
    const elsewhere = await seedConversation(api.app, { inboxIds: [other.id] });
    await api.request(
      AssignConversationFullDocument,
      { conversationId: toAna.globalId, assigneeId: ana.globalId },
      bob.token,
    );
    await api.request(
      AssignConversationFullDocument,
      { conversationId: toBob.globalId, assigneeId: bob.globalId },
      ana.token,
    );
    await api.request(
      AssignConversationFullDocument,
      { conversationId: elsewhere.globalId, assigneeId: ana.globalId },
      ana.token,
    );
    await api.request(ArchiveConversationFullDocument, { conversationId: archived.globalId }, ana.token);

    const ids = (page: { edges: { node: { id: string } }[] }) => page.edges.map((e) => e.node.id).sort();
    const sorted = (...cs: { globalId: string }[]) => cs.map((c) => c.globalId).sort();
    const inboxId = inbox.globalId;

    expect(ids(await inboxPage(ana.token, { inboxId }))).toEqual(sorted(toAna, toBob, open, archived));
    expect(ids(await inboxPage(ana.token, { inboxId, status: "OPEN" }))).toEqual(sorted(toAna, toBob, open));
    expect(ids(await inboxPage(ana.token, { inboxId, status: "ARCHIVED" }))).toEqual(sorted(archived));
    expect(ids(await inboxPage(ana.token, { inboxId, assigneeId: ana.globalId }))).toEqual(sorted(toAna));
    expect(ids(await inboxPage(ana.token, { inboxId, unassigned: true }))).toEqual(sorted(open, archived));
    expect(ids(await inboxPage(ana.token, { inboxId, unassigned: true, status: "OPEN" }))).toEqual(sorted(open));
    expect(ids(await inboxPage(ana.token, { inboxId, unassigned: false }))).toEqual(
      sorted(toAna, toBob, open, archived),
    );

    expect(ids(await rootPage(ana.token, { inboxId }))).toEqual(sorted(toAna, toBob, open, archived));
    expect(ids(await rootPage(ana.token, { inboxId, status: "ARCHIVED" }))).toEqual(sorted(archived));
    expect(ids(await rootPage(ana.token, { inboxId, assigneeId: bob.globalId }))).toEqual(sorted(toBob));
    expect(ids(await rootPage(ana.token, { inboxId, unassigned: true, status: "OPEN" }))).toEqual(sorted(open));
    // Without an inbox the root list spans every inbox the viewer sees.
    expect(ids(await rootPage(ana.token, { assigneeId: ana.globalId }))).toEqual(sorted(toAna, elsewhere));
    expect(ids(await rootPage(bob.token, { assigneeId: ana.globalId }))).toEqual(sorted(toAna));
    // An agent outside the inbox sees none of it.
    expect(ids(await rootPage(olga.token, { inboxId }))).toEqual([]);
  });

  it("assigns only to a member of one of the conversation's inboxes; anyone else is an InvalidInputError and nothing is written", async () => {
    const inbox = await seedInbox(api.app, "Assign rules", [ana.id]);
    const second = await seedInbox(api.app, "Assign rules 2", [carl.id]);
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id, second.id] });
    const before = await counts();
    const outsider = await api.request(
      AssignConversationFullDocument,
      { conversationId: conversation.globalId, assigneeId: olga.globalId },
      ana.token,
    );
    expect(outsider.errors).toBeUndefined();
    expect(outsider.data!.assignConversation).toMatchObject({
      __typename: "InvalidInputError",
      code: "BAD_USER_INPUT",
      field: "assigneeId",
    });
    const unknown = await api.request(
      AssignConversationFullDocument,
      { conversationId: conversation.globalId, assigneeId: globalId("User", crypto.randomUUID()) },
      ana.token,
    );
    expect(unknown.data!.assignConversation).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    expect(await counts()).toEqual(before);
    expect((await prisma().conversation.findUniqueOrThrow({ where: { id: conversation.id } })).assigneeId).toBeNull();

    // A member of the conversation's other inbox may be assigned.
    const member = await api.request(
      AssignConversationFullDocument,
      { conversationId: conversation.globalId, assigneeId: carl.globalId },
      ana.token,
    );
    expect(member.data!.assignConversation).toMatchObject({
      __typename: "ConversationPayload",
      conversation: { assignee: { id: carl.globalId } },
    });
  });

  it("records assign, unassign, archive, reopen, tag and untag as timeline activities in order, once each when repeated", async () => {
    const inbox = await seedInbox(api.app, "Workflow", [ana.id, bob.id]);
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
    const tag = await createTag("vip");
    const id = conversation.globalId;
    const before = await counts();
    const run = async (document: unknown, variables: Record<string, string>) => {
      const result: ExecutionResult = await api.request(
        document as never,
        { conversationId: id, ...variables } as never,
        ana.token,
      );
      expect(result.errors).toBeUndefined();
      const payload = Object.values(result.data as Record<string, { __typename: string; conversation?: unknown }>)[0]!;
      expect(payload.__typename).toBe("ConversationPayload");
      return payload.conversation as {
        status: string;
        archivedAt: string | null;
        assignee: { id: string } | null;
        tags: { id: string }[];
        lastActivityAt: string;
      };
    };

    for (let i = 0; i < 2; i++)
      expect((await run(AssignConversationFullDocument, { assigneeId: bob.globalId })).assignee).toEqual({
        id: bob.globalId,
      });
    for (let i = 0; i < 2; i++) expect((await run(UnassignConversationDocument, {})).assignee).toBeNull();
    for (let i = 0; i < 2; i++) {
      const archived = await run(ArchiveConversationFullDocument, {});
      expect(archived.status).toBe("ARCHIVED");
      expect(archived.archivedAt).not.toBeNull();
    }
    for (let i = 0; i < 2; i++)
      expect(await run(ReopenConversationDocument, {})).toMatchObject({ status: "OPEN", archivedAt: null });
    for (let i = 0; i < 2; i++)
      expect((await run(TagConversationDocument, { tagId: tag.id })).tags).toEqual([{ id: tag.id, name: "vip" }]);
    for (let i = 0; i < 2; i++) expect((await run(UntagConversationDocument, { tagId: tag.id })).tags).toEqual([]);

    const items = (await timeline(id)).edges.map((e) => e.node);
    expect(activityTypes(items)).toEqual(["ASSIGNED", "UNASSIGNED", "ARCHIVED", "REOPENED", "TAGGED", "UNTAGGED"]);
    for (const item of items) if (item.__typename === "Activity") expect(item.actor).toEqual({ id: ana.globalId });
    const activities = items.filter((i) => i.__typename === "Activity");
    // The ids in `data` are global ids, like every other id of the API: node(id:) resolves them.
    expect(activities.map((a) => a.data)).toEqual([
      { assigneeId: bob.globalId },
      { previousAssigneeId: bob.globalId },
      {},
      {},
      { tagId: tag.id, tagName: "vip" },
      { tagId: tag.id },
    ]);
    const referenced = activities.flatMap((a) =>
      Object.entries(a.data).flatMap(([key, value]) => (key.endsWith("Id") ? [value as string] : [])),
    );
    expect(await resolveNodes(api, ana.token, referenced)).toEqual([
      { __typename: "User", id: bob.globalId },
      { __typename: "User", id: bob.globalId },
      { __typename: "Tag", id: tag.id },
      { __typename: "Tag", id: tag.id },
    ]);
    const times = items.map((i) => (i.__typename === "Activity" ? Date.parse(i.createdAt) : 0));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // One activity and one event per real change; repeats wrote nothing.
    expect(await counts()).toEqual({ ...before, activities: before.activities + 6, events: before.events + 6 });
    const events = await prisma().event.findMany({
      where: { conversationId: conversation.id },
      orderBy: { sequence: "asc" },
    });
    expect(events.map((e) => e.type)).toEqual([
      "CONVERSATION_CREATED",
      "CONVERSATION_ASSIGNED",
      "CONVERSATION_UNASSIGNED",
      "CONVERSATION_ARCHIVED",
      "CONVERSATION_REOPENED",
      "CONVERSATION_TAGGED",
      "CONVERSATION_UNTAGGED",
    ]);
  });

  it("stays idempotent when the same change arrives concurrently: one activity each, no errors", async () => {
    const inbox = await seedInbox(api.app, "Concurrent", [ana.id, bob.id]);
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
    const tag = await createTag("concurrent");
    const id = conversation.globalId;
    const times = <T>(n: number, run: () => Promise<T>) => Promise.all(Array.from({ length: n }, run));
    const typenames = (results: ExecutionResult<Record<string, { __typename: string }>>[]) =>
      results.map((r) => (r.errors ? `errors: ${JSON.stringify(r.errors)}` : Object.values(r.data!)[0]!.__typename));

    const tagged = await times(6, () =>
      api.request(TagConversationDocument, { conversationId: id, tagId: tag.id }, ana.token),
    );
    expect(typenames(tagged)).toEqual(Array(6).fill("ConversationPayload"));
    const assigned = await times(6, () =>
      api.request(AssignConversationFullDocument, { conversationId: id, assigneeId: bob.globalId }, ana.token),
    );
    expect(typenames(assigned)).toEqual(Array(6).fill("ConversationPayload"));
    const archived = await times(6, () =>
      api.request(ArchiveConversationFullDocument, { conversationId: id }, ana.token),
    );
    expect(typenames(archived)).toEqual(Array(6).fill("ConversationPayload"));
    const untagged = await times(6, () =>
      api.request(UntagConversationDocument, { conversationId: id, tagId: tag.id }, ana.token),
    );
    expect(typenames(untagged)).toEqual(Array(6).fill("ConversationPayload"));

    expect(activityTypes((await timeline(id)).edges.map((e) => e.node))).toEqual([
      "TAGGED",
      "ASSIGNED",
      "ARCHIVED",
      "UNTAGGED",
    ]);
  });

  it("rejects unknown tags and bad tag input with typed errors and writes nothing", async () => {
    const inbox = await seedInbox(api.app, "Tag errors", [ana.id]);
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
    await createTag("billing");
    const before = await counts();
    const unknown = await api.request(
      TagConversationDocument,
      { conversationId: conversation.globalId, tagId: globalId("Tag", crypto.randomUUID()) },
      ana.token,
    );
    expect(unknown.data!.tagConversation).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    const duplicate = await api.request(CreateTagDocument, { name: " billing " }, ana.token);
    expect(duplicate.data!.createTag).toMatchObject({ __typename: "ConflictError", code: "CONFLICT" });
    const empty = await api.request(CreateTagDocument, { name: "   " }, ana.token);
    expect(empty.data!.createTag).toMatchObject({ __typename: "InvalidInputError", code: "BAD_USER_INPUT" });
    const colour = await api.request(CreateTagDocument, { name: "red", color: "red" }, ana.token);
    expect(colour.data!.createTag).toMatchObject({ __typename: "InvalidInputError", code: "BAD_USER_INPUT" });
    expect(await counts()).toEqual(before);
  });

  it("records @mentions by local part or full email, ignoring the author, unknown handles and plain email addresses", async () => {
    const inbox = await seedInbox(api.app, "Mentions", [ana.id, bob.id, carl.id]);
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
    const body = "Hey @bob and @CARL@example.com, cc @ana (me) and @nobody; mail root@example.com. Thanks @bob.";
    const result = await api.request(AddCommentOnDocument, { conversationId: conversation.globalId, body }, ana.token);
    expect(result.errors).toBeUndefined();
    const payload = result.data!.addComment;
    if (payload.__typename !== "CommentPayload") throw new Error(JSON.stringify(payload));
    expect(payload.comment.body).toBe(body);
    expect(payload.comment.author).toEqual({ id: ana.globalId });
    expect(payload.comment.mentions.map((m) => m.id).sort()).toEqual([bob.globalId, carl.globalId].sort());
    const rows = await prisma().mention.findMany({ where: { commentId: dbId(payload.comment.id) } });
    expect(rows.map((r) => r.userId).sort()).toEqual([bob.id, carl.id].sort());
    const event = await prisma().event.findFirstOrThrow({
      where: { conversationId: conversation.id, type: "COMMENT_ADDED" },
    });
    expect([...event.userIds].sort()).toEqual([bob.id, carl.id].sort());

    const timelineItems = (await timeline(conversation.globalId)).edges.map((e) => e.node);
    expect(timelineItems).toEqual([
      expect.objectContaining({
        __typename: "Comment",
        body,
        mentions: expect.arrayContaining([{ id: bob.globalId }]),
      }),
    ]);
  });

  it("does not treat LIKE wildcards in a handle as a mention of everyone", async () => {
    const underscored = await api.createUser("AGENT", "first_last");
    const inbox = await seedInbox(api.app, "Wildcards", [ana.id, bob.id, underscored.id]);
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
    const result = await api.request(
      AddCommentOnDocument,
      { conversationId: conversation.globalId, body: "ping @% and @_ob and @b% and @first%last" },
      ana.token,
    );
    expect(result.data!.addComment).toMatchObject({ __typename: "CommentPayload", comment: { mentions: [] } });
    const exact = await api.request(
      AddCommentOnDocument,
      { conversationId: conversation.globalId, body: "ping @first_last" },
      ana.token,
    );
    expect(exact.data!.addComment).toMatchObject({
      __typename: "CommentPayload",
      comment: { mentions: [{ id: underscored.globalId }] },
    });
  });

  it("refuses to mention a teammate who cannot see the conversation, writing nothing; once a member, they are told", async () => {
    const inbox = await seedInbox(api.app, "Private line", [ana.id]);
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
    const last = await prisma().event.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true } });
    const bobMentions = subscribe(api.wsClient(bob.token), MentionsDocument, { after: String(last?.sequence ?? 0) });
    const before = await counts();
    const refused = await api.request(
      AddCommentOnDocument,
      { conversationId: conversation.globalId, body: "@bob can you call them back?" },
      ana.token,
    );
    expect(refused.data!.addComment).toMatchObject({
      __typename: "InvalidInputError",
      code: "BAD_USER_INPUT",
      field: "body",
      message: expect.stringContaining(bob.email),
    });
    expect(await counts()).toEqual(before);

    const added = await api.request(
      AddInboxMemberAsAnyoneDocument,
      { inboxId: inbox.globalId, userId: bob.globalId },
      admin.token,
    );
    expect(added.data!.addInboxMember).toMatchObject({ __typename: "InboxPayload" });
    const body = "@bob now you can see it";
    const accepted = await api.request(
      AddCommentOnDocument,
      { conversationId: conversation.globalId, body },
      ana.token,
    );
    expect(accepted.data!.addComment).toMatchObject({
      __typename: "CommentPayload",
      comment: { mentions: [{ id: bob.globalId }] },
    });
    // The stream's first event is the accepted comment, readable: the refused one never existed.
    const [first] = await bobMentions.until(1);
    expect(first!.data!.mentions).toMatchObject({ comment: { body } });
    bobMentions.unsubscribe();
  });

  it("rejects an empty comment or one on another conversation's call with typed errors and writes nothing", async () => {
    const inbox = await seedInbox(api.app, "Comment errors", [ana.id]);
    const seeded = await seedConversationWithActivity(api.app, inbox.id, "+12125550300");
    const otherConversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
    const before = await counts();
    const empty = await api.request(
      AddCommentOnDocument,
      { conversationId: seeded.conversation.globalId, body: "  \n " },
      ana.token,
    );
    expect(empty.data!.addComment).toMatchObject({ __typename: "InvalidInputError", code: "BAD_USER_INPUT" });
    const tooLong = await api.request(
      AddCommentOnDocument,
      { conversationId: seeded.conversation.globalId, body: "x".repeat(10_001) },
      ana.token,
    );
    expect(tooLong.data!.addComment).toMatchObject({ __typename: "InvalidInputError", code: "BAD_USER_INPUT" });
    const foreignCall = await api.request(
      AddCommentOnDocument,
      { conversationId: otherConversation.globalId, body: "about that call", callId: globalId("Call", seeded.call.id) },
      ana.token,
    );
    expect(foreignCall.data!.addComment).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    expect(await counts()).toEqual(before);

    const onRecording = await api.request(
      AddCommentOnDocument,
      {
        conversationId: seeded.conversation.globalId,
        body: "listen",
        callId: globalId("Call", seeded.call.id),
        recordingId: globalId("Recording", seeded.recording.id),
      },
      ana.token,
    );
    expect(onRecording.data!.addComment).toMatchObject({
      __typename: "CommentPayload",
      comment: {
        call: { id: globalId("Call", seeded.call.id) },
        recording: { id: globalId("Recording", seeded.recording.id) },
      },
    });
  });

  it("merges calls, messages, comments and activities into one timeline in time order, with pagination", async () => {
    const inbox = await seedInbox(api.app, "Timeline", [ana.id, bob.id]);
    const seeded = await seedConversationWithActivity(api.app, inbox.id, "+12125550400");
    // Give the seeded rows distinct times, as they would have arrived one by one.
    const t0 = Date.now() - 600_000;
    await prisma().call.update({ where: { id: seeded.call.id }, data: { createdAt: new Date(t0 + 1_000) } });
    await prisma().message.update({ where: { id: seeded.message.id }, data: { createdAt: new Date(t0 + 2_000) } });
    await prisma().comment.update({ where: { id: seeded.comment.id }, data: { createdAt: new Date(t0 + 3_000) } });
    await prisma().activity.update({ where: { id: seeded.activity.id }, data: { createdAt: new Date(t0 + 4_000) } });
    const id = seeded.conversation.globalId;
    await api.request(AddCommentOnDocument, { conversationId: id, body: "called back @bob" }, ana.token);
    await api.request(AssignConversationFullDocument, { conversationId: id, assigneeId: bob.globalId }, ana.token);

    const all = (await timeline(id, ana.token)).edges.map((e) => e.node);
    expect(all.map((i) => i.__typename)).toEqual(["Call", "Message", "Comment", "Activity", "Comment", "Activity"]);
    expect(all[0]).toMatchObject({ id: globalId("Call", seeded.call.id), status: "ENDED" });
    expect(all[1]).toMatchObject({ id: globalId("Message", seeded.message.id), text: "Hello 👋" });
    expect(all[2]).toMatchObject({ body: "seeded note" });
    expect(all[3]).toMatchObject({ type: "CALL_ENDED", data: { talkSeconds: 42 }, actor: null });
    expect(all[4]).toMatchObject({ body: "called back @bob", mentions: [{ id: bob.globalId }] });
    expect(all[5]).toMatchObject({ type: "ASSIGNED" });
    const times = all.map((i) => Date.parse((i as { createdAt: string }).createdAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const paged: TimelineItem[] = [];
    const hasNext: boolean[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof timeline>> = await timeline(id, ana.token, 4, after);
      paged.push(...page.edges.map((e) => e.node));
      hasNext.push(page.pageInfo.hasNextPage);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? null;
    }
    expect(hasNext).toEqual([true, false]);
    expect(paged).toEqual(all);
  });

  it("resolves node(id:) for every node type to the right object for an admin", async () => {
    const inbox = await seedInbox(api.app, "Nodes", [ana.id]);
    const seeded = await seedConversationWithActivity(api.app, inbox.id, "+12125550500");
    const cases: [string, string, Record<string, unknown>][] = [
      ["User", ana.id, { email: ana.email }],
      ["Inbox", inbox.id, { name: "Nodes" }],
      ["Channel", seeded.channel.id, { phoneNumber: seeded.channel.phoneNumber }],
      ["Conversation", seeded.conversation.id, { status: "OPEN" }],
      ["Call", seeded.call.id, { talkSeconds: 42 }],
      ["Recording", seeded.recording.id, { durationSeconds: 40 }],
      ["Message", seeded.message.id, { text: "Hello 👋" }],
      ["Attachment", seeded.attachment.id, { fileName: "photo.png" }],
      ["Contact", seeded.contactId, { phoneNumbers: [{ number: "+12125550500" }] }],
      ["Comment", seeded.comment.id, { body: "seeded note" }],
      ["Activity", seeded.activity.id, { type: "CALL_ENDED" }],
      ["Tag", seeded.tag.id, { name: seeded.tag.name }],
    ];
    for (const [type, id, fields] of cases) {
      const result = await api.request(NodeLookupDocument, { id: globalId(type, id) }, admin.token);
      expect(result.errors, type).toBeUndefined();
      expect(result.data!.node, type).toMatchObject({ __typename: type, id: globalId(type, id), ...fields });
    }
  });

  it("resolves node(id:) of any type to null when the object does not exist", async () => {
    for (const type of [
      "User",
      "Inbox",
      "Channel",
      "Conversation",
      "Call",
      "Recording",
      "Message",
      "Attachment",
      "Contact",
      "Comment",
      "Activity",
      "Tag",
    ]) {
      const result = await api.request(NodeLookupDocument, { id: globalId(type, crypto.randomUUID()) }, admin.token);
      expect(result.errors, type).toBeUndefined();
      expect(result.data!.node, type).toBeNull();
    }
  });
});
