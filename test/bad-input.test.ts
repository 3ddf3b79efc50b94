// The "Bad input" section: malformed GraphQL, unknown fields, unknown / malformed / wrongly
// typed ids, wrong variable types, missing or revoked tokens and admin-only mutations. Each gets a
// GraphQL error with a code (or a typed NOT_FOUND result), never a stack trace, and writes nothing.
// (Depth/cost/alias and subscription limits are covered elsewhere.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphQLFormattedError } from "graphql";
import { globalId, startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedConversation, seedInbox } from "./support/seed.ts";
import {
  AddInboxMemberAsAnyoneDocument,
  ArchiveConversationFullDocument,
  AssignConversationFullDocument,
  CreateInboxAsAnyoneDocument,
  CreateOwnApiTokenDocument,
  CreateTagDocument,
  CreateUserAsAnyoneDocument,
  DeleteTagAsAnyoneDocument,
  MergeContactsFullDocument,
  NodeLookupDocument,
  RevokeApiTokenDocument,
  TagConversationDocument,
  UpdateContactDocument,
  ViewerDocument,
} from "./generated/graphql.ts";

type User = { id: string; globalId: string; token: string; email: string };

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("bad input", () => {
  let api: TestApi;
  let admin: User;
  let agent: User;
  let inbox: { id: string; globalId: string };
  let conversation: { id: string; globalId: string };
  let tag: { id: string; globalId: string };
  let contactId: string;

  /** Row counts of every table a request could write. */
  const counts = async () => {
    const p = api.app.db.prisma;
    const entries = await Promise.all(
      Object.entries({
        users: p.user.count(),
        tokens: p.apiToken.count(),
        revokedTokens: p.apiToken.count({ where: { revokedAt: { not: null } } }),
        inboxes: p.inbox.count(),
        members: p.inboxMember.count(),
        contacts: p.contact.count(),
        phones: p.contactPhone.count(),
        conversations: p.conversation.count(),
        assigned: p.conversation.count({ where: { assigneeId: { not: null } } }),
        archived: p.conversation.count({ where: { status: "ARCHIVED" } }),
        activities: p.activity.count(),
        comments: p.comment.count(),
        tags: p.tag.count(),
        conversationTags: p.conversationTag.count(),
        events: p.event.count(),
      }).map(async ([name, count]) => [name, await count] as const),
    );
    return Object.fromEntries(entries);
  };

  /** A POST /graphql whose raw body is kept, to look for stack traces. */
  async function raw(query: string, variables?: unknown, token?: string) {
    const response = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      body: JSON.parse(text) as { data?: unknown; errors?: GraphQLFormattedError[] },
    };
  }

  function expectNoStack(text: string) {
    expect(text).not.toMatch(/stack/i);
    expect(text).not.toContain("    at ");
    expect(text).not.toMatch(/\.ts:\d+/);
  }

  function expectCoded(errors: readonly GraphQLFormattedError[] | undefined, code?: string) {
    expect(errors?.length).toBeGreaterThan(0);
    for (const error of errors!) {
      expect(error.extensions?.code, error.message).toEqual(code ?? expect.any(String));
      if (!code) expect(error.extensions?.code, error.message).not.toBe("INTERNAL_SERVER_ERROR");
      expect(JSON.stringify(error)).not.toMatch(/stack| {4}at /i);
    }
  }

  /** Runs an operation over graphql-ws and returns the errors it ended with (or the result's errors). */
  async function overWebSocket(query: string, token = agent.token, variables?: Record<string, unknown>) {
    const client = api.wsClient(token);
    const run = subscribe(client, query, variables);
    await run.finished;
    if (run.error) return run.error as GraphQLFormattedError[];
    return run.received.flatMap((r) => r.errors ?? []) as GraphQLFormattedError[];
  }

  beforeAll(async () => {
    api = await startTestApi();
    admin = await api.createUser("ADMIN", "root");
    agent = await api.createUser("AGENT", "agent");
    inbox = await seedInbox(api.app, "Support", [agent.id]);
    conversation = await seedConversation(api.app, { inboxIds: [inbox.id], customerNumber: "+16505550100" });
    const createdTag = await api.request(CreateTagDocument, { name: "urgent" }, admin.token);
    if (createdTag.data?.createTag.__typename !== "TagPayload") throw new Error(JSON.stringify(createdTag));
    tag = {
      globalId: createdTag.data.createTag.tag.id,
      id: Buffer.from(createdTag.data.createTag.tag.id, "base64").toString().split(":")[1]!,
    };
    contactId = (await api.app.db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).contactId!;
  });
  afterAll(() => api.close());

  describe("malformed GraphQL", () => {
    const broken = "query { viewer { id ";

    it("answers a syntax error over HTTP with a coded error and no stack trace", async () => {
      const before = await counts();
      const { text, body } = await raw(broken, undefined, agent.token);
      expectCoded(body.errors);
      expect(body.errors![0]!.message).toMatch(/Syntax Error/i);
      expectNoStack(text);
      const mutation = await raw(`mutation { createTag(name: "x") { __typename } `, undefined, agent.token);
      expectCoded(mutation.body.errors);
      expectNoStack(mutation.text);
      expect(await counts()).toEqual(before);
    });

    it("answers a syntax error over graphql-ws with a coded error and no stack trace", async () => {
      const errors = await overWebSocket(broken);
      expectCoded(errors);
      expectNoStack(JSON.stringify(errors));
      const subscription = await overWebSocket(`subscription { mentions { cursor `);
      expectCoded(subscription);
    });

    it("answers an unknown field over HTTP with a validation error with a code", async () => {
      const { text, body } = await raw(`query { viewer { id nickname } }`, undefined, agent.token);
      expectCoded(body.errors, "GRAPHQL_VALIDATION_FAILED");
      expect(body.errors![0]!.message).toContain("nickname");
      expectNoStack(text);
      const unknownRoot = await raw(`mutation { dropEverything }`, undefined, agent.token);
      expectCoded(unknownRoot.body.errors, "GRAPHQL_VALIDATION_FAILED");
    });

    it("answers an unknown field over graphql-ws with a validation error with a code", async () => {
      const errors = await overWebSocket(`query { viewer { id nickname } }`);
      expectCoded(errors, "GRAPHQL_VALIDATION_FAILED");
      expectNoStack(JSON.stringify(errors));
      const subscriptionErrors = await overWebSocket(`subscription { mentions { nope } }`);
      expectCoded(subscriptionErrors, "GRAPHQL_VALIDATION_FAILED");
    });

    it("answers a request without a query with a coded error", async () => {
      const { text, body } = await raw("", undefined, agent.token);
      expectCoded(body.errors);
      expectNoStack(text);
    });
  });

  describe("ids", () => {
    const unknown = (type: string) => globalId(type, crypto.randomUUID());

    it("resolves a well-formed id of an unknown object to null from node", async () => {
      for (const type of ["Conversation", "Contact", "Tag", "User", "Inbox"]) {
        const result = await api.request(NodeLookupDocument, { id: unknown(type) }, admin.token);
        expect(result.errors, type).toBeUndefined();
        expect(result.data!.node, type).toBeNull();
      }
    });

    it("returns a NOT_FOUND typed error from mutations given a well-formed id of an unknown object, writing nothing", async () => {
      const before = await counts();
      const results = await Promise.all([
        api
          .request(ArchiveConversationFullDocument, { conversationId: unknown("Conversation") }, agent.token)
          .then((r) => r.data?.archiveConversation),
        api
          .request(
            AssignConversationFullDocument,
            { conversationId: conversation.globalId, assigneeId: unknown("User") },
            agent.token,
          )
          .then((r) => r.data?.assignConversation),
        api
          .request(
            TagConversationDocument,
            { conversationId: conversation.globalId, tagId: unknown("Tag") },
            agent.token,
          )
          .then((r) => r.data?.tagConversation),
        api
          .request(UpdateContactDocument, { contactId: unknown("Contact"), name: "Ghost" }, agent.token)
          .then((r) => r.data?.updateContact),
        api
          .request(
            MergeContactsFullDocument,
            { targetId: globalId("Contact", contactId), sourceId: unknown("Contact") },
            agent.token,
          )
          .then((r) => r.data?.mergeContacts),
        api.request(DeleteTagAsAnyoneDocument, { tagId: unknown("Tag") }, admin.token).then((r) => r.data?.deleteTag),
        api
          .request(AddInboxMemberAsAnyoneDocument, { inboxId: inbox.globalId, userId: unknown("User") }, admin.token)
          .then((r) => r.data?.addInboxMember),
        api
          .request(RevokeApiTokenDocument, { id: crypto.randomUUID() }, agent.token)
          .then((r) => r.data?.revokeApiToken),
      ]);
      for (const result of results) expect(result).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
      expect(await counts()).toEqual(before);
    });

    const malformed = [
      "not base64 at all!",
      `Conversation:${crypto.randomUUID()}`,
      b64("Conversation:123"),
      b64("Conversation"),
      b64(`:${crypto.randomUUID()}`),
      "",
    ];

    it("rejects a malformed id in node with BAD_USER_INPUT", async () => {
      for (const id of malformed) {
        const { text, body } = await raw(`query($id: ID!) { node(id: $id) { id } }`, { id }, admin.token);
        expectCoded(body.errors, "BAD_USER_INPUT");
        expectNoStack(text);
      }
    });

    it("rejects a malformed id in a mutation with BAD_USER_INPUT and writes nothing", async () => {
      const before = await counts();
      for (const id of malformed) {
        const archive = await raw(
          `mutation($id: ID!) { archiveConversation(conversationId: $id) { __typename } }`,
          { id },
          agent.token,
        );
        expectCoded(archive.body.errors, "BAD_USER_INPUT");
        expectNoStack(archive.text);
        const assign = await raw(
          `mutation($c: ID!, $u: ID!) { assignConversation(conversationId: $c, assigneeId: $u) { __typename } }`,
          { c: conversation.globalId, u: id },
          agent.token,
        );
        expectCoded(assign.body.errors, "BAD_USER_INPUT");
      }
      const inline = await raw(
        `mutation { archiveConversation(conversationId: "bm9wZQ") { __typename } }`,
        undefined,
        agent.token,
      );
      expectCoded(inline.body.errors, "BAD_USER_INPUT");
      expect(await counts()).toEqual(before);
    });

    it("rejects a global id of the wrong type with BAD_USER_INPUT and writes nothing", async () => {
      const before = await counts();
      const tagAsConversation = await raw(
        `mutation($id: ID!) { archiveConversation(conversationId: $id) { __typename } }`,
        { id: tag.globalId },
        agent.token,
      );
      expectCoded(tagAsConversation.body.errors, "BAD_USER_INPUT");
      expectNoStack(tagAsConversation.text);
      const conversationAsTag = await raw(
        `mutation($c: ID!, $t: ID!) { tagConversation(conversationId: $c, tagId: $t) { __typename } }`,
        { c: conversation.globalId, t: conversation.globalId },
        agent.token,
      );
      expectCoded(conversationAsTag.body.errors, "BAD_USER_INPUT");
      const inboxAsAssignee = await raw(
        `mutation($c: ID!, $u: ID!) { assignConversation(conversationId: $c, assigneeId: $u) { __typename } }`,
        { c: conversation.globalId, u: inbox.globalId },
        agent.token,
      );
      expectCoded(inboxAsAssignee.body.errors, "BAD_USER_INPUT");
      const conversationAsContact = await raw(
        `mutation($id: ID!) { updateContact(contactId: $id, name: "x") { __typename } }`,
        { id: conversation.globalId },
        agent.token,
      );
      expectCoded(conversationAsContact.body.errors, "BAD_USER_INPUT");
      const userAsInboxFilter = await raw(
        `query($f: ConversationFilter) { conversations(filter: $f, first: 5) { edges { node { id } } } }`,
        { f: { inboxId: agent.globalId } },
        agent.token,
      );
      expectCoded(userAsInboxFilter.body.errors, "BAD_USER_INPUT");
      expect(await counts()).toEqual(before);
    });
  });

  describe("cursors and other ids that reach the database", () => {
    it("answers malformed connection cursors with BAD_USER_INPUT", async () => {
      const notAUuid = b64("GPC:S:not-a-uuid");
      const cases: [string, unknown][] = [
        [`query($a: String) { conversations(first: 2, after: $a) { edges { node { id } } } }`, { a: "garbage" }],
        [`query($a: String) { contacts(first: 2, after: $a) { edges { node { id } } } }`, { a: notAUuid }],
        [`query($a: String) { conversations(first: 2, after: $a) { edges { node { id } } } }`, { a: notAUuid }],
        [
          "query($id: ID!, $a: String) { node(id: $id) { ... on Conversation { " +
            "timeline(first: 2, after: $a) { edges { cursor } } } } }",
          { id: conversation.globalId, a: "garbage" },
        ],
        [
          "query($id: ID!, $a: String) { node(id: $id) { ... on Inbox { " +
            "conversations(first: 2, after: $a) { edges { cursor } } } } }",
          { id: inbox.globalId, a: notAUuid },
        ],
      ];
      for (const [query, variables] of cases) {
        const { text, body } = await raw(query, variables, admin.token);
        expectCoded(body.errors, "BAD_USER_INPUT");
        expectNoStack(text);
        expect(text).not.toContain("prisma");
      }
    });

    it("answers revokeApiToken with an id that is not a token id with BAD_USER_INPUT and writes nothing", async () => {
      const before = await counts();
      const { text, body } = await raw(`mutation { revokeApiToken(id: "abc") { __typename } }`, undefined, agent.token);
      expectCoded(body.errors, "BAD_USER_INPUT");
      expectNoStack(text);
      expect(text).not.toContain("prisma");
      expect(await counts()).toEqual(before);
    });
  });

  describe("variables", () => {
    it("answers variables of the wrong type with BAD_USER_INPUT and writes nothing", async () => {
      const before = await counts();
      const cases: [string, unknown][] = [
        [`query($first: Int) { conversations(first: $first) { edges { node { id } } } }`, { first: "ten" }],
        [`query($first: Int) { contacts(first: $first) { edges { node { id } } } }`, { first: 1.5 }],
        [`mutation($id: ID!) { archiveConversation(conversationId: $id) { __typename } }`, { id: { nested: true } }],
        [`mutation($id: ID!) { archiveConversation(conversationId: $id) { __typename } }`, { id: null }],
        [`mutation($name: String!) { createTag(name: $name) { __typename } }`, { name: 42 }],
        [
          `query($s: ConversationStatus) { conversations(filter: { status: $s }) { edges { node { id } } } }`,
          { s: "CLOSED" },
        ],
        [
          `mutation($p: ContactPhoneInput!, $id: ID!) { addContactPhone(contactId: $id, phone: $p) { __typename } }`,
          { id: "x", p: { label: "no number" } },
        ],
        [
          `mutation($p: [ContactPhoneInput!]) { createContact(name: "typed", phoneNumbers: $p) { __typename } }`,
          { p: [{ number: 6505550100 }] },
        ],
      ];
      for (const [query, variables] of cases) {
        const { text, body } = await raw(query, variables, agent.token);
        expect(body.errors?.[0]?.message, query).toMatch(/^Variable "\$/);
        expectCoded(body.errors, "BAD_USER_INPUT");
        expectNoStack(text);
      }
      const overWs = await overWebSocket(cases[0]![0], agent.token, cases[0]![1] as Record<string, unknown>);
      expectCoded(overWs, "BAD_USER_INPUT");
      expect(await counts()).toEqual(before);
    });

    it("answers a missing required variable or a non-object variables parameter with a coded error", async () => {
      const missing = await raw(
        `mutation($id: ID!) { archiveConversation(conversationId: $id) { __typename } }`,
        {},
        agent.token,
      );
      expectCoded(missing.body.errors);
      expect(missing.body.errors![0]!.extensions!.code).not.toBe("INTERNAL_SERVER_ERROR");
      expectNoStack(missing.text);
      const notAnObject = await raw(
        `query($first: Int) { conversations(first: $first) { edges { node { id } } } }`,
        "not an object",
        agent.token,
      );
      expectCoded(notAnObject.body.errors, "BAD_REQUEST");
    });

    it("rejects an argument of the wrong type written inline with a validation code", async () => {
      const { body } = await raw(
        `query { conversations(first: "ten") { edges { node { id } } } }`,
        undefined,
        agent.token,
      );
      expectCoded(body.errors, "GRAPHQL_VALIDATION_FAILED");
    });
  });

  describe("tokens", () => {
    it("answers a request without a token, or with an unknown token, with UNAUTHENTICATED and writes nothing", async () => {
      const before = await counts();
      for (const token of [undefined, "sb_not-a-real-token"]) {
        const viewer = await raw(`query { viewer { id } }`, undefined, token);
        expectCoded(viewer.body.errors, "UNAUTHENTICATED");
        expectNoStack(viewer.text);
        const mutation = await raw(`mutation { createTag(name: "anonymous") { __typename } }`, undefined, token);
        expectCoded(mutation.body.errors, "UNAUTHENTICATED");
        const node = await raw(`query($id: ID!) { node(id: $id) { id } }`, { id: conversation.globalId }, token);
        expectCoded(node.body.errors, "UNAUTHENTICATED");
      }
      const malformedHeader = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Basic dXNlcjpwYXNz" },
        body: JSON.stringify({ query: "{ viewer { id } }" }),
      });
      expectCoded(((await malformedHeader.json()) as { errors: GraphQLFormattedError[] }).errors, "UNAUTHENTICATED");
      expect(await counts()).toEqual(before);
    });

    it("answers a subscription without a token with UNAUTHENTICATED", async () => {
      const client = api.wsClient();
      const run = subscribe(client, `subscription { mentions { cursor } }`);
      await run.until(1);
      const errors = (run.error as GraphQLFormattedError[] | undefined) ?? run.received.flatMap((r) => r.errors ?? []);
      expectCoded(errors, "UNAUTHENTICATED");
      run.unsubscribe();
    });

    it("answers a revoked token with UNAUTHENTICATED from then on", async () => {
      const created = await api.request(CreateOwnApiTokenDocument, { name: "laptop" }, agent.token);
      const payload = created.data!.createApiToken;
      if (payload.__typename !== "CreateApiTokenPayload") throw new Error(JSON.stringify(created));
      const ok = await api.request(ViewerDocument, {}, payload.token);
      expect(ok.data?.viewer.id).toBe(agent.globalId);

      const revoked = await api.request(RevokeApiTokenDocument, { id: payload.apiToken.id }, payload.token);
      expect(revoked.data!.revokeApiToken).toMatchObject({
        __typename: "ApiTokenPayload",
        apiToken: { id: payload.apiToken.id },
      });

      const before = await counts();
      const viewer = await raw(`query { viewer { id } }`, undefined, payload.token);
      expectCoded(viewer.body.errors, "UNAUTHENTICATED");
      const mutation = await raw(
        `mutation { createTag(name: "after revocation") { __typename } }`,
        undefined,
        payload.token,
      );
      expectCoded(mutation.body.errors, "UNAUTHENTICATED");
      const ws = await overWebSocket(`query { viewer { id } }`, payload.token);
      expectCoded(ws, "UNAUTHENTICATED");
      expect(await counts()).toEqual(before);
      // The agent's other token still works.
      expect((await api.request(ViewerDocument, {}, agent.token)).data?.viewer.id).toBe(agent.globalId);
    });
  });

  describe("admin-only mutations", () => {
    it("answers an agent calling createUser, createInbox, addInboxMember or deleteTag with FORBIDDEN and writes nothing", async () => {
      const other = await seedInbox(api.app, "Admins only");
      const before = await counts();
      const attempts = [
        await api.request(
          CreateUserAsAnyoneDocument,
          { email: "intruder@example.com", name: "Intruder", role: "ADMIN" },
          agent.token,
        ),
        await api.request(CreateInboxAsAnyoneDocument, { name: "Agent's inbox" }, agent.token),
        await api.request(
          AddInboxMemberAsAnyoneDocument,
          { inboxId: other.globalId, userId: agent.globalId },
          agent.token,
        ),
        await api.request(DeleteTagAsAnyoneDocument, { tagId: tag.globalId }, agent.token),
        await raw(
          `mutation($i: ID!, $u: ID!) { removeInboxMember(inboxId: $i, userId: $u) { __typename } }`,
          { i: inbox.globalId, u: agent.globalId },
          agent.token,
        ).then((r) => r.body),
        await raw(
          `mutation($i: ID!) { renameInbox(inboxId: $i, name: "Mine") { __typename } }`,
          { i: inbox.globalId },
          agent.token,
        ).then((r) => r.body),
      ];
      for (const result of attempts) {
        expectCoded(result.errors, "FORBIDDEN");
        expect(result.data ?? null).toBeNull();
      }
      expect(await counts()).toEqual(before);
      expect(await api.app.db.prisma.user.findUnique({ where: { email: "intruder@example.com" } })).toBeNull();
      expect(await api.app.db.prisma.tag.findUnique({ where: { id: tag.id } })).not.toBeNull();

      // The same mutations work for an admin.
      const allowed = await api.request(CreateInboxAsAnyoneDocument, { name: "Admin's inbox" }, admin.token);
      expect(allowed.data!.createInbox.__typename).toBe("InboxPayload");
    });
  });
});
