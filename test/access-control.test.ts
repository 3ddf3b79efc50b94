// R1.2 probed from outside: an agent who is not a member of an inbox tries every root field on that
// inbox's data. A denied object must look missing; admin-only mutations must be refused; nothing
// may change. Each probe is also run as someone allowed, so a probe that could never fail fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../src/schema/index.ts";
import { globalId, startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedConversation, seedConversationWithActivity, seedInbox } from "./support/seed.ts";
import { createApiToken } from "../src/domain/tokens.ts";
import { inTransaction } from "../src/domain/event-log.ts";
import type { NewEvent } from "../src/domain/events.ts";
import { ingestInboundMessage } from "../src/domain/sms/inbound.ts";

type User = Awaited<ReturnType<TestApi["createUser"]>>;
type Seeded = Awaited<ReturnType<typeof seedConversationWithActivity>>;

let api: TestApi;
let admin: User;
let insider: User; // member of the Secret inbox
let outsider: User; // member of the Open inbox only
let bystander: User; // only moved in and out of inboxes by the membership probes
let secret: Seeded;
let secretInbox: Awaited<ReturnType<typeof seedInbox>>;
let secretRuleId = "";

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.createUser("ADMIN", "admin");
  insider = await api.createUser("AGENT", "insider");
  outsider = await api.createUser("AGENT", "outsider");
  bystander = await api.createUser("AGENT", "bystander");
  secretInbox = await seedInbox(api.app, "Secret", [insider.id]);
  const openInbox = await seedInbox(api.app, "Open", [outsider.id]);
  secret = await seedConversationWithActivity(api.app, secretInbox.id);
  await api.app.db.prisma.rule.createMany({
    data: [
      { name: "Everywhere", trigger: "CALL_ENDED" },
      { name: "Secret only", trigger: "CALL_ENDED", inboxIds: [secretInbox.id] },
    ],
  });
  secretRuleId = (await api.app.db.prisma.rule.findFirstOrThrow({ where: { name: "Secret only" } })).id;
  await seedConversationWithActivity(api.app, openInbox.id, "+16505550999");
});
afterAll(() => api.close());

/** Everything that must not change when an outsider probes. */
async function snapshot() {
  const p = api.app.db.prisma;
  const reads = {
    conversation: p.conversation.findUniqueOrThrow({ where: { id: secret.conversation.id }, include: { tags: true } }),
    users: p.user.count(),
    inboxes: p.inbox.findMany({ orderBy: { id: "asc" } }),
    members: p.inboxMember.count(),
    tags: p.tag.count(),
    comments: p.comment.count(),
    activities: p.activity.count(),
    events: p.event.count(),
    tokens: p.apiToken.findMany({ orderBy: { id: "asc" } }),
    messages: p.message.count(),
    templates: p.messageTemplate.findMany({ orderBy: { id: "asc" } }),
    contacts: p.contact.findMany({ orderBy: { id: "asc" } }),
    contactPhones: p.contactPhone.findMany({ orderBy: { id: "asc" } }),
    rules: p.rule.findMany({ orderBy: { id: "asc" } }),
  };
  const values = await Promise.all(Object.values(reads));
  return Object.fromEntries(Object.keys(reads).map((name, i) => [name, values[i]]));
}

const ids = () => ({
  inbox: secretInbox.globalId,
  channel: globalId("Channel", secret.channel.id),
  conversation: globalId("Conversation", secret.conversation.id),
  call: globalId("Call", secret.call.id),
  recording: globalId("Recording", secret.recording.id),
  message: globalId("Message", secret.message.id),
  attachment: globalId("Attachment", secret.attachment.id),
  comment: globalId("Comment", secret.comment.id),
  activity: globalId("Activity", secret.activity.id),
  tag: globalId("Tag", secret.tag.id),
  contact: globalId("Contact", secret.contactId),
  insider: insider.globalId,
  rule: globalId("Rule", secretRuleId),
});

const PROBE_RULE = { name: "Probe", trigger: "CALL_ENDED", actions: [{ type: "ARCHIVE" }] };

interface Probe {
  query: string;
  variables?: () => Record<string, unknown>;
  /** What the outsider must see. */
  denied: (data: any, errors: readonly { extensions?: Record<string, unknown> }[] | undefined) => void;
  /** What someone allowed sees: proves the probe reaches the data. */
  allowed: { as: () => User; expect: (data: any) => void };
}

const errorCode = (errors: readonly { extensions?: Record<string, unknown> }[] | undefined) =>
  errors?.[0]?.extensions?.code;
const typed = (field: string, typename: string) => (data: any) => expect(data?.[field]?.__typename).toBe(typename);
const deniedAsMissing = (field: string) => (data: any) =>
  expect(data?.[field]).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
const forbidden = (_data: any, errors: readonly { extensions?: Record<string, unknown> }[] | undefined) =>
  expect(errorCode(errors)).toBe("FORBIDDEN");
const RESULT = `{ __typename ... on Error { code } }`;

/** A mutation on the secret conversation: `args` are extra arguments with their variable types. */
function conversationMutation(
  field: string,
  payload: string,
  args: Record<string, [string, () => string]> = {},
): Probe {
  const declarations = Object.keys(args)
    .map((name) => `, $${name}: ID!`)
    .join("");
  const passed = Object.keys(args)
    .map((name) => `, ${args[name]![0]}: $${name}`)
    .join("");
  return {
    query: `mutation($id: ID!${declarations}) { ${field}(conversationId: $id${passed}) ${RESULT} }`,
    variables: () => ({
      id: ids().conversation,
      ...Object.fromEntries(Object.entries(args).map(([name, [, value]]) => [name, value()])),
    }),
    denied: deniedAsMissing(field),
    allowed: { as: () => insider, expect: typed(field, payload) },
  };
}

const probes: Record<string, Probe> = {
  // Query
  node: {
    query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
    variables: () => ({
      ids: Object.values(ids()).filter((id) => ![ids().tag, ids().insider].includes(id)),
    }),
    denied: (data) => expect(data.nodes.every((n: unknown) => n === null)).toBe(true),
    allowed: { as: () => insider, expect: (data) => expect(data.nodes.every((n: unknown) => n !== null)).toBe(true) },
  },
  nodes: {
    query: `query($id: ID!) { node(id: $id) { id } }`,
    variables: () => ({ id: ids().conversation }),
    denied: (data) => expect(data.node).toBeNull(),
    allowed: { as: () => insider, expect: (data) => expect(data.node.id).toBe(ids().conversation) },
  },
  viewer: {
    query: `{ viewer { id inboxes { id } } }`,
    denied: (data) => expect(data.viewer.inboxes.map((i: { id: string }) => i.id)).not.toContain(ids().inbox),
    allowed: {
      as: () => insider,
      expect: (data) => expect(data.viewer.inboxes.map((i: { id: string }) => i.id)).toContain(ids().inbox),
    },
  },
  users: {
    query:
      "query($id: ID!) { users(first: 50) { edges { node { id inboxes { id } } } } node(id: $id) { ... on " +
      "User { inboxes { id } } } }",
    variables: () => ({ id: ids().insider }),
    // Teammates are visible, but not the inboxes the viewer is not in.
    denied: (data) => {
      expect(data.users.edges.map((e: any) => e.node.id)).toContain(ids().insider);
      expect(JSON.stringify(data)).not.toContain(ids().inbox);
    },
    allowed: { as: () => insider, expect: (data) => expect(JSON.stringify(data.node)).toContain(ids().inbox) },
  },
  inboxes: {
    query: `{ inboxes { id name } }`,
    denied: (data) => expect(data.inboxes.map((i: { name: string }) => i.name)).toEqual(["Open"]),
    allowed: {
      as: () => insider,
      expect: (data) => expect(data.inboxes.map((i: { name: string }) => i.name)).toEqual(["Secret"]),
    },
  },
  channels: {
    query: `{ channels { id } }`,
    denied: (data) => expect(data.channels.map((c: { id: string }) => c.id)).not.toContain(ids().channel),
    allowed: {
      as: () => insider,
      expect: (data) => expect(data.channels.map((c: { id: string }) => c.id)).toContain(ids().channel),
    },
  },
  conversations: {
    query:
      "query($inbox: ID!) { all: conversations(first: 50) { edges { node { id } } } filtered: " +
      "conversations(filter: { inboxId: $inbox }) { edges { node { id } } } searched: " +
      'conversations(filter: { search: "hello" }) { edges { node { id } highlights { nodeId } } } }',
    // A search finds only what the agent may see, and highlights nothing of the rest.
    variables: () => ({ inbox: ids().inbox }),
    denied: (data) => {
      expect(JSON.stringify(data)).not.toContain(ids().conversation);
      expect(JSON.stringify(data)).not.toContain(ids().message);
      expect(data.filtered.edges).toEqual([]);
      expect(data.searched.edges.length).toBeGreaterThan(0); // the outsider's own inbox's "Hello"
    },
    allowed: {
      as: () => insider,
      expect: (data) => expect(data.filtered.edges.map((e: any) => e.node.id)).toEqual([ids().conversation]),
    },
  },
  contacts: {
    query:
      `{ contacts(search: "650 555 0100") { edges { node { id conversations(first: 10) { edges { node { ` +
      "id } } } } } } }",
    // A customer seen only in the secret inbox is not in the outsider's contacts (issue 13).
    denied: (data) => {
      expect(JSON.stringify(data)).not.toContain(ids().contact);
      expect(JSON.stringify(data)).not.toContain(ids().conversation);
    },
    allowed: {
      as: () => insider,
      expect: (data) => {
        expect(data.contacts.edges.map((e: any) => e.node.id)).toEqual([ids().contact]);
        expect(JSON.stringify(data)).toContain(ids().conversation);
      },
    },
  },
  rules: {
    query: `{ rules { id name } }`,
    // Only rules of inboxes the viewer can see, and global ones (the starter rule is global).
    denied: (data) =>
      expect(data.rules.map((r: { name: string }) => r.name)).toEqual(["Archive abandoned calls", "Everywhere"]),
    allowed: {
      as: () => insider,
      expect: (data) =>
        expect(data.rules.map((r: { name: string }) => r.name)).toEqual([
          "Archive abandoned calls",
          "Everywhere",
          "Secret only",
        ]),
    },
  },
  tags: {
    query: `{ tags { id } }`,
    denied: (data) => expect(data.tags.map((t: { id: string }) => t.id)).toContain(ids().tag),
    allowed: {
      as: () => insider,
      expect: (data) => expect(data.tags.map((t: { id: string }) => t.id)).toContain(ids().tag),
    },
  },
  // Mutation: conversation changes look like the conversation is missing.
  assignConversation: conversationMutation("assignConversation", "ConversationPayload", {
    user: ["assigneeId", () => ids().insider],
  }),
  unassignConversation: conversationMutation("unassignConversation", "ConversationPayload"),
  archiveConversation: conversationMutation("archiveConversation", "ConversationPayload"),
  reopenConversation: conversationMutation("reopenConversation", "ConversationPayload"),
  tagConversation: conversationMutation("tagConversation", "ConversationPayload", { tag: ["tagId", () => ids().tag] }),
  untagConversation: conversationMutation("untagConversation", "ConversationPayload", {
    tag: ["tagId", () => ids().tag],
  }),
  addComment: {
    query: `mutation($id: ID!) { addComment(conversationId: $id, body: "peek") ${RESULT} }`,
    variables: () => ({ id: ids().conversation }),
    denied: deniedAsMissing("addComment"),
    allowed: { as: () => insider, expect: typed("addComment", "CommentPayload") },
  },
  // Admin-only mutations.
  createUser: {
    query: `mutation { createUser(email: "intruder@example.com", name: "Intruder", role: ADMIN) ${RESULT} }`,
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("createUser", "UserPayload") },
  },
  createInbox: {
    query: `mutation { createInbox(name: "Shadow") ${RESULT} }`,
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("createInbox", "InboxPayload") },
  },
  renameInbox: {
    query: `mutation($id: ID!) { renameInbox(inboxId: $id, name: "Mine now") ${RESULT} }`,
    variables: () => ({ id: ids().inbox }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("renameInbox", "InboxPayload") },
  },
  addInboxMember: {
    query: `mutation($id: ID!, $user: ID!) { addInboxMember(inboxId: $id, userId: $user) ${RESULT} }`,
    variables: () => ({ id: ids().inbox, user: bystander.globalId }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("addInboxMember", "InboxPayload") },
  },
  removeInboxMember: {
    query: `mutation($id: ID!, $user: ID!) { removeInboxMember(inboxId: $id, userId: $user) ${RESULT} }`,
    variables: () => ({ id: ids().inbox, user: bystander.globalId }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("removeInboxMember", "InboxPayload") },
  },
  deleteTag: {
    query: `mutation($id: ID!) { deleteTag(tagId: $id) ${RESULT} }`,
    variables: () => ({ id: ids().tag }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("deleteTag", "TagPayload") },
  },
  // Tokens: someone else's look missing.
  createApiToken: {
    query:
      "mutation($user: ID!) { createApiToken(userId: $user) { __typename ... on Error { code } ... on " +
      "CreateApiTokenPayload { token } } }",
    variables: () => ({ user: ids().insider }),
    denied: deniedAsMissing("createApiToken"),
    allowed: { as: () => admin, expect: typed("createApiToken", "CreateApiTokenPayload") },
  },
  revokeApiToken: {
    query: `mutation($id: ID!) { revokeApiToken(id: $id) ${RESULT} }`,
    variables: () => ({ id: insiderTokenId }),
    denied: deniedAsMissing("revokeApiToken"),
    allowed: { as: () => admin, expect: typed("revokeApiToken", "ApiTokenPayload") },
  },
  // Contacts of the secret inbox's customers look missing (issue 13).
  updateContact: contactMutation(`updateContact(contactId: $id, email: "insider@example.com")`),
  addContactPhone: contactMutation(`addContactPhone(contactId: $id, phone: { number: "+16505550201" })`),
  removeContactPhone: contactMutation(`removeContactPhone(contactId: $id, number: "+16505550201")`),
  mergeContacts: {
    // Into the secret customer, a customer of the secret inbox seen once (the insider's run merges it away).
    query: `mutation($id: ID!, $source: ID!) { mergeContacts(targetId: $id, sourceId: $source) ${RESULT} }`,
    variables: () => ({ id: ids().contact, source: globalId("Contact", mergeSourceId) }),
    denied: deniedAsMissing("mergeContacts"),
    allowed: { as: () => insider, expect: typed("mergeContacts", "ContactPayload") },
  },
  // Shared directory and the viewer's own settings: allowed to everyone, checked to touch only the viewer.
  updateViewer: {
    query: `mutation { updateViewer(muteIncomingCallBanner: true) { __typename ... on UserPayload { user { id } } } }`,
    denied: (data) => expect(data.updateViewer.user.id).toBe(outsider.globalId),
    allowed: { as: () => insider, expect: (data) => expect(data.updateViewer.user.id).toBe(ids().insider) },
  },
  setStatus: {
    query: `mutation { setStatus(status: AWAY) { __typename ... on UserPayload { user { id } } } }`,
    denied: (data) => expect(data.setStatus.user.id).toBe(outsider.globalId),
    allowed: { as: () => insider, expect: (data) => expect(data.setStatus.user.id).toBe(ids().insider) },
  },
  createTag: sharedDirectory("createTag", `createTag(name: "probe-tag-$N")`, "TagPayload"),
  createContact: sharedDirectory("createContact", `createContact(name: "Probe $N")`, "ContactPayload"),
  // RingCentral setup (R2.1–R2.3): admins only. This API has no connection, so the admin's run
  // reaches the resolver and gets the not-connected / not-found answers.
  ringCentralConnection: {
    query: `{ ringCentralConnection { accountId } }`,
    denied: forbidden,
    allowed: { as: () => admin, expect: (data) => expect(data.ringCentralConnection).toBeNull() },
  },
  ringCentralNumbers: {
    query: `{ ringCentralNumbers { id } }`,
    denied: forbidden,
    allowed: { as: () => admin, expect: (data) => expect(data.ringCentralNumbers).toEqual([]) },
  },
  verifyRingCentralCredentials: {
    query:
      `mutation { verifyRingCentralCredentials(serverUrl: "not a url", clientId: "id", clientSecret: ` +
      `"secret", jwt: "jwt") ${RESULT} }`,
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("verifyRingCentralCredentials", "InvalidInputError") },
  },
  connectChannel: {
    query: `mutation($inbox: ID!) { connectChannel(number: "+16505550111", type: VOICE, inboxId: $inbox) ${RESULT} }`,
    variables: () => ({ inbox: ids().inbox }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("connectChannel", "RingCentralNotConnectedError") },
  },
  moveChannel: {
    query: `mutation($id: ID!, $inbox: ID!) { moveChannel(channelId: $id, inboxId: $inbox) ${RESULT} }`,
    variables: () => ({ id: ids().channel, inbox: ids().inbox }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("moveChannel", "ChannelPayload") },
  },
  updateChannel: {
    query: `mutation($id: ID!) { updateChannel(channelId: $id, closeAfterSeconds: null) ${RESULT} }`,
    variables: () => ({ id: ids().channel }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("updateChannel", "ChannelPayload") },
  },
  disconnectChannel: {
    query: `mutation($id: ID!) { disconnectChannel(channelId: $id) ${RESULT} }`,
    // Another (missing) channel: disconnecting the secret one would change what later probes see.
    variables: () => ({ id: globalId("Channel", "00000000-0000-4000-8000-000000000000") }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("disconnectChannel", "NotFoundError") },
  },
  // The viewer's own RingCentral login (R2.5): anyone, and only about themselves.
  connectRingCentralLogin: {
    query: `mutation { connectRingCentralLogin(jwt: "not-a-jwt") ${RESULT} }`,
    denied: typed("connectRingCentralLogin", "RingCentralNotConnectedError"),
    allowed: { as: () => insider, expect: typed("connectRingCentralLogin", "RingCentralNotConnectedError") },
  },
  disconnectRingCentralLogin: {
    query: `mutation { disconnectRingCentralLogin { __typename ... on UserPayload { user { id ringCentralLogin } } } }`,
    denied: (data) =>
      expect(data.disconnectRingCentralLogin.user).toEqual({
        id: outsider.globalId,
        ringCentralLogin: "NOT_CONNECTED",
      }),
    allowed: {
      as: () => insider,
      expect: (data) =>
        expect(data.disconnectRingCentralLogin.user).toEqual({ id: ids().insider, ringCentralLogin: "NOT_CONNECTED" }),
    },
  },
  // SMS (R4.3): sending from or replying in the secret inbox looks like a missing channel or
  // conversation; the insider gets past access and is stopped by the next check (a voice channel, a
  // conversation without an SMS channel), so nothing reaches RingCentral.
  sendMessage: {
    query:
      `mutation($id: ID!) { sendMessage(channelId: $id, to: "+16505550123", text: "peek") { __typename ` +
      "... on Error { code } ... on InvalidInputError { field } } }",
    variables: () => ({ id: ids().channel }),
    denied: deniedAsMissing("sendMessage"),
    allowed: {
      as: () => insider,
      expect: (data) => expect(data.sendMessage).toMatchObject({ __typename: "InvalidInputError", field: "channelId" }),
    },
  },
  replyToConversation: {
    query:
      `mutation($id: ID!) { replyToConversation(conversationId: $id, text: "peek") { __typename ... on ` +
      "Error { code } ... on InvalidInputError { field } } }",
    variables: () => ({ id: ids().conversation }),
    denied: deniedAsMissing("replyToConversation"),
    allowed: {
      as: () => insider,
      expect: (data) =>
        expect(data.replyToConversation).toMatchObject({ __typename: "InvalidInputError", field: "conversationId" }),
    },
  },
  messageTemplates: {
    query: `{ messageTemplates { id name } }`,
    // Templates are shared by everyone; this only checks that reading them changes nothing.
    denied: (data) => expect(Array.isArray(data.messageTemplates)).toBe(true),
    allowed: { as: () => insider, expect: (data) => expect(Array.isArray(data.messageTemplates)).toBe(true) },
  },
  createMessageTemplate: {
    query: `mutation { createMessageTemplate(name: "Probe template", body: "Hi {{contact.name}}") ${RESULT} }`,
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("createMessageTemplate", "MessageTemplatePayload") },
  },
  updateMessageTemplate: {
    query: `mutation($id: ID!) { updateMessageTemplate(templateId: $id, body: "changed") ${RESULT} }`,
    variables: () => ({ id: globalId("MessageTemplate", "00000000-0000-4000-8000-000000000000") }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("updateMessageTemplate", "NotFoundError") },
  },
  deleteMessageTemplate: {
    query: `mutation($id: ID!) { deleteMessageTemplate(templateId: $id) ${RESULT} }`,
    variables: () => ({ id: globalId("MessageTemplate", "00000000-0000-4000-8000-000000000000") }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("deleteMessageTemplate", "NotFoundError") },
  },
  // Call control (R3.10) and outbound calls (R3.9): a call or channel of the secret inbox looks
  // missing; the insider gets past access and is stopped for want of their own RingCentral login,
  // so nothing reaches RingCentral.
  ...Object.fromEntries(
    ["answerCall", "holdCall", "resumeCall", "muteCall", "unmuteCall", "hangUpCall", "sendCallToVoicemail"].map(
      (field) => [
        field,
        {
          query: `mutation($id: ID!) { ${field}(callId: $id) ${RESULT} }`,
          variables: () => ({ id: ids().call }),
          denied: deniedAsMissing(field),
          allowed: { as: () => insider, expect: typed(field, "RingCentralLoginRequiredError") },
        },
      ],
    ),
  ),
  transferCall: {
    query: `mutation($id: ID!) { transferCall(callId: $id, toPhoneNumber: "+16505550123") ${RESULT} }`,
    variables: () => ({ id: ids().call }),
    denied: deniedAsMissing("transferCall"),
    allowed: { as: () => insider, expect: typed("transferCall", "RingCentralLoginRequiredError") },
  },
  consultCall: {
    query: `mutation($id: ID!) { consultCall(callId: $id, toExtensionNumber: "11103") ${RESULT} }`,
    variables: () => ({ id: ids().call }),
    denied: deniedAsMissing("consultCall"),
    allowed: { as: () => insider, expect: typed("consultCall", "RingCentralLoginRequiredError") },
  },
  // No consultation is under way on the call: refused before RingCentral is asked.
  ...Object.fromEntries(
    ["completeTransfer", "cancelConsultation"].map((field) => [
      field,
      {
        query: `mutation($id: ID!) { ${field}(callId: $id) ${RESULT} }`,
        variables: () => ({ id: ids().call }),
        denied: deniedAsMissing(field),
        allowed: { as: () => insider, expect: typed(field, "ConflictError") },
      },
    ]),
  ),
  placeCall: {
    query: `mutation($id: ID!) { placeCall(channelId: $id, toPhoneNumber: "+16505550123") ${RESULT} }`,
    variables: () => ({ id: ids().channel }),
    denied: deniedAsMissing("placeCall"),
    allowed: { as: () => insider, expect: typed("placeCall", "RingCentralLoginRequiredError") },
  },
  conversationCounts: {
    query:
      "query($inbox: ID!) { all: conversationCounts { total byInbox { inbox { id } count } } filtered: " +
      'conversationCounts(filter: { inboxId: $inbox, search: "hello" }) { total byInbox { inbox { id } count } } }',
    variables: () => ({ inbox: ids().inbox }),
    // Counts leave out what the agent cannot see: the secret inbox is not even named.
    denied: (data) => {
      expect(JSON.stringify(data)).not.toContain(ids().inbox);
      expect(data.filtered).toEqual({ total: 0, byInbox: [] });
    },
    allowed: {
      as: () => insider,
      expect: (data) =>
        expect(data.filtered).toEqual({ total: 1, byInbox: [{ inbox: { id: ids().inbox }, count: 1 }] }),
    },
  },
  splitConversation: {
    query: `mutation($id: ID!, $message: ID!) { splitConversation(conversationId: $id, fromMessageId: $message) ${RESULT} }`,
    variables: () => ({ id: ids().conversation, message: globalId("Message", splitFromMessageId) }),
    denied: deniedAsMissing("splitConversation"),
    allowed: { as: () => insider, expect: typed("splitConversation", "SplitConversationPayload") },
  },
  moveCallToConversation: {
    query: `mutation($call: ID!, $to: ID!) { moveCallToConversation(callId: $call, conversationId: $to) ${RESULT} }`,
    variables: () => ({ call: ids().call, to: globalId("Conversation", moveTargetId) }),
    denied: deniedAsMissing("moveCallToConversation"),
    allowed: { as: () => insider, expect: typed("moveCallToConversation", "MoveCallPayload") },
  },
  ruleRuns: {
    query: `query($id: ID!) { ruleRuns(ruleId: $id) { status } }`,
    variables: () => ({ id: ids().rule }),
    denied: forbidden,
    allowed: { as: () => admin, expect: (data) => expect(data.ruleRuns).toEqual([]) },
  },
  dryRunRule: {
    query: `query($id: ID!) { dryRunRule(ruleId: $id, since: "2020-01-01T00:00:00Z") { eventCursor } }`,
    variables: () => ({ id: ids().rule }),
    denied: forbidden,
    allowed: { as: () => admin, expect: (data) => expect(Array.isArray(data.dryRunRule)).toBe(true) },
  },
  analytics: {
    query: `query($id: ID!) { analytics(filter: { from: "2020-01-01T00:00:00Z", to: "2021-01-01T00:00:00Z", inboxes: [$id] },
      granularity: WEEK) { totals { voice { inbound } } byInbox { inbox { id } } } }`,
    variables: () => ({ id: ids().inbox }),
    // Not an error: the figures of the inboxes the agent sees, none of them the one asked for.
    denied: (data) => expect(data.analytics.byInbox).toEqual([]),
    allowed: { as: () => insider, expect: (data) => expect(data.analytics.totals.voice.inbound).toBe(0) },
  },
  setInboxBusinessHours: {
    query: `mutation($id: ID!) { setInboxBusinessHours(inboxId: $id, timeZone: "Europe/Paris") ${RESULT} }`,
    variables: () => ({ id: ids().inbox }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("setInboxBusinessHours", "InboxPayload") },
  },
  createRule: {
    query: `mutation($input: RuleInput!) { createRule(input: $input) ${RESULT} }`,
    variables: () => ({ input: PROBE_RULE }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("createRule", "RulePayload") },
  },
  updateRule: {
    query: `mutation($id: ID!, $input: RuleInput!) { updateRule(ruleId: $id, input: $input) ${RESULT} }`,
    variables: () => ({ id: ids().rule, input: { ...PROBE_RULE, name: "Secret only" } }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("updateRule", "RulePayload") },
  },
  enableRule: {
    query: `mutation($id: ID!) { enableRule(ruleId: $id) ${RESULT} }`,
    variables: () => ({ id: ids().rule }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("enableRule", "RulePayload") },
  },
  disableRule: {
    query: `mutation($id: ID!) { disableRule(ruleId: $id) ${RESULT} }`,
    variables: () => ({ id: ids().rule }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("disableRule", "RulePayload") },
  },
  // Last: the admin's allowed run deletes the rule the probes above use.
  deleteRule: {
    query: `mutation($id: ID!) { deleteRule(ruleId: $id) ${RESULT} }`,
    variables: () => ({ id: ids().rule }),
    denied: forbidden,
    allowed: { as: () => admin, expect: typed("deleteRule", "DeleteRulePayload") },
  },
};

let insiderTokenId = "";
let mergeSourceId = "";
let splitFromMessageId = "";
let moveTargetId = "";
let sharedCounter = 0;

/** A change to the secret inbox's customer (`$id`). */
function contactMutation(call: string): Probe {
  const field = call.slice(0, call.indexOf("("));
  return {
    query: `mutation($id: ID!) { ${call} ${RESULT} }`,
    variables: () => ({ id: ids().contact }),
    denied: deniedAsMissing(field),
    allowed: { as: () => insider, expect: typed(field, "ContactPayload") },
  };
}

function sharedDirectory(field: string, call: string, payload: string): Probe {
  const render = () => call.replace("$N", String(++sharedCounter % 10));
  return {
    get query() {
      return `mutation { ${render()} ${RESULT} }`;
    },
    denied: typed(field, payload),
    allowed: { as: () => insider, expect: typed(field, payload) },
  } as Probe;
}

/** Subscriptions are probed over graphql-ws. */
const subscriptionProbes = {
  conversationEvents: `subscription($id: ID!) { conversationEvents(inboxId: $id, after: "0") { cursor type } }`,
  mentions: `subscription { mentions(after: "0") { cursor comment { id } } }`,
  messageAdded: `subscription($id: ID!) { messageAdded(inboxId: $id, after: "0") { cursor type message { id } } }`,
  ringCentralLoginChanged: `subscription { ringCentralLoginChanged(after: "0") { cursor type state } }`,
  incomingCall: `subscription { incomingCall(after: "0") { cursor call { id } } }`,
  callUpdated: `subscription($id: ID!) { callUpdated(inboxId: $id, after: "0") { cursor call { id } } }`,
  agentStatusChanged: `subscription($id: ID!) { agentStatusChanged(inboxId: $id, after: "0") { cursor user { id } } }`,
  queueStatus: `subscription($id: ID!) { queueStatus(inboxId: $id) { waiting inbox { id } } }`,
};

describe("access control probed by an agent outside the inbox", () => {
  it("has a probe for every root field of the schema", () => {
    const rootFields = [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!].flatMap((t) =>
      Object.keys(t.getFields()),
    );
    const probed = [...Object.keys(probes), ...Object.keys(subscriptionProbes)];
    expect([...rootFields].sort()).toEqual([...probed].sort());
  });

  for (const [field, probe] of Object.entries(probes)) {
    it(`${field}: denied as missing or forbidden, nothing changes; allowed for someone entitled`, async () => {
      if (field === "revokeApiToken") {
        // A spare token of the insider's: the admin's allowed run revokes it.
        insiderTokenId = (await createApiToken(api.app.db.prisma, insider.id, "spare")).record.id;
      }
      if (field === "mergeContacts") {
        const seen = await seedConversation(api.app, { inboxIds: [secretInbox.id], customerNumber: "+16505550166" });
        mergeSourceId = seen.contactId!;
      }
      if (field === "splitConversation") {
        // A second message, later than the first: the allowed run splits from it.
        const later = await api.app.db.prisma.message.create({
          data: {
            conversationId: secret.conversation.id,
            direction: "INBOUND",
            status: "RECEIVED",
            fromNumber: "+16505550100",
            toNumber: "+16505550000",
            text: "another topic",
          },
        });
        splitFromMessageId = later.id;
      }
      if (field === "moveCallToConversation") {
        // Another conversation of the secret customer, where the allowed run moves the call.
        const target = await api.app.db.prisma.conversation.create({
          data: { contactId: secret.contactId, inboxes: { create: { inboxId: secretInbox.id } } },
        });
        moveTargetId = target.id;
      }
      const before = await snapshot();
      const outside = await api.request(probe.query, probe.variables?.(), outsider.token);
      probe.denied(outside.data, outside.errors as never);
      const after = await snapshot();
      if (!["updateViewer", "setStatus", "createTag", "createContact"].includes(field)) {
        expect(after).toEqual(before);
      } else {
        expect(after.conversation).toEqual(before.conversation);
        expect(after.inboxes).toEqual(before.inboxes);
      }
      const inside = await api.request(probe.query, probe.variables?.(), probe.allowed.as().token);
      expect(inside.errors).toBeUndefined();
      probe.allowed.expect(inside.data);
    });
  }

  it("conversationEvents: an outsider's subscription is refused as missing; a member receives the inbox's events", async () => {
    const outside = subscribe(api.wsClient(outsider.token), subscriptionProbes.conversationEvents, { id: ids().inbox });
    await outside.finished;
    expect(JSON.stringify(outside.error ?? outside.received)).toContain("NOT_FOUND");
    expect(outside.received.some((r) => r.data)).toBe(false);

    const inside = subscribe(api.wsClient(insider.token), subscriptionProbes.conversationEvents, { id: ids().inbox });
    const [first] = await inside.until(1);
    expect(first!.data).toBeTruthy();
    inside.unsubscribe();
  });

  it("messageAdded: an outsider's subscription is refused as missing; a member receives the inbox's messages", async () => {
    const outside = subscribe(api.wsClient(outsider.token), subscriptionProbes.messageAdded, { id: ids().inbox });
    await outside.finished;
    expect(JSON.stringify(outside.error ?? outside.received)).toContain("NOT_FOUND");
    expect(outside.received.some((r) => r.data)).toBe(false);

    const inside = subscribe(api.wsClient(insider.token), subscriptionProbes.messageAdded, { id: ids().inbox });
    const channel = await api.app.db.prisma.channel.create({
      data: { type: "SMS", phoneNumber: "+16505550124", inboxId: secretInbox.id },
    });
    const deps = { prisma: api.app.db.prisma, pubsub: api.app.pubsub };
    await ingestInboundMessage(deps, {
      ringCentralId: crypto.randomUUID(),
      channelNumber: channel.phoneNumber,
      from: "+16505550125",
      text: "hi",
      attachments: [],
      createdAt: new Date(),
    });
    const [first] = await inside.until(1);
    expect(first!.data).toMatchObject({ messageAdded: { type: "MESSAGE_ADDED" } });
    inside.unsubscribe();
  });

  it("mentions: an outsider never receives mentions addressed to someone else", async () => {
    // Mention the insider, then replay everything as the outsider: nothing of it may arrive.
    await api.request(
      `mutation($id: ID!) { addComment(conversationId: $id, body: "@insider look") ${RESULT} }`,
      { id: ids().conversation },
      admin.token,
    );
    const insideMentions = subscribe(api.wsClient(insider.token), subscriptionProbes.mentions);
    await insideMentions.until(1);
    // Now mention the outsider somewhere they can see, so their stream has a known last event.
    const open = await api.app.db.prisma.conversation.findFirstOrThrow({
      where: { inboxes: { some: { inbox: { name: "Open" } } } },
    });
    await api.request(
      `mutation($id: ID!) { addComment(conversationId: $id, body: "@outsider hi") ${RESULT} }`,
      { id: globalId("Conversation", open.id) },
      admin.token,
    );
    const outsideMentions = subscribe(api.wsClient(outsider.token), subscriptionProbes.mentions);
    const [only] = await outsideMentions.until(1);
    expect(outsideMentions.received).toHaveLength(1);
    expect(JSON.stringify(only)).not.toContain(ids().conversation);
    insideMentions.unsubscribe();
    outsideMentions.unsubscribe();
  });

  /** Writes an event as the worker would (there is no RingCentral in this file). */
  async function logEvent(event: NewEvent) {
    await inTransaction({ prisma: api.app.db.prisma, pubsub: api.app.pubsub }, async (_tx, log) => log.append(event));
  }

  it("queueStatus: an outsider's subscription is refused as missing; a member receives the inbox's figures", async () => {
    const outside = subscribe(api.wsClient(outsider.token), subscriptionProbes.queueStatus, { id: ids().inbox });
    await outside.finished;
    expect(JSON.stringify(outside.error ?? outside.received)).toContain("NOT_FOUND");
    expect(outside.received.some((r) => r.data)).toBe(false);

    const inside = subscribe(api.wsClient(insider.token), subscriptionProbes.queueStatus, { id: ids().inbox });
    const [first] = await inside.until(1);
    expect(JSON.stringify(first!.data)).toContain(ids().inbox);
    inside.unsubscribe();
  });

  for (const field of ["callUpdated", "agentStatusChanged"] as const) {
    it(`${field}: an outsider's subscription is refused as missing; a member receives the inbox's events`, async () => {
      const outside = subscribe(api.wsClient(outsider.token), subscriptionProbes[field], { id: ids().inbox });
      await outside.finished;
      expect(JSON.stringify(outside.error ?? outside.received)).toContain("NOT_FOUND");
      expect(outside.received.some((r) => r.data)).toBe(false);

      const inside = subscribe(api.wsClient(insider.token), subscriptionProbes[field], { id: ids().inbox });
      if (field === "callUpdated") {
        await logEvent({
          type: "CALL_UPDATED",
          inboxIds: [secretInbox.id],
          conversationId: secret.conversation.id,
          payload: {
            callId: secret.call.id,
            telephonySessionId: "s-1",
            status: "RINGING",
            direction: "INBOUND",
            talkSeconds: null,
          },
        });
      } else {
        await api.request(`mutation { setStatus(status: AWAY) { __typename } }`, undefined, insider.token);
      }
      const [first] = await inside.until(1);
      expect(JSON.stringify(first!.data)).toContain(field === "callUpdated" ? ids().call : ids().insider);
      inside.unsubscribe();
    });
  }

  // One event of each type addressed to a user: `forUser(callId)` is the insider's, then the outsider's own.
  const addressed = {
    incomingCall: (callId: string): NewEvent => ({
      type: "INCOMING_CALL",
      payload: { callId, extensionId: "101", fromNumber: "+16505550100", inboxIds: [] },
    }),
    ringCentralLoginChanged: (): NewEvent => ({
      type: "RINGCENTRAL_LOGIN_EXPIRED",
      payload: { userId: insider.id, state: "EXPIRED" },
    }),
  };
  for (const field of ["incomingCall", "ringCentralLoginChanged"] as const) {
    it(`${field}: an outsider never receives events addressed to someone else`, async () => {
      await logEvent({
        ...addressed[field](secret.call.id),
        userIds: [insider.id],
        conversationId: secret.conversation.id,
      });
      const inside = subscribe(api.wsClient(insider.token), subscriptionProbes[field]);
      await inside.until(1);
      // The outsider's own event is the only thing their replay may hold.
      await logEvent({ ...addressed[field](crypto.randomUUID()), userIds: [outsider.id] });
      const outside = subscribe(api.wsClient(outsider.token), subscriptionProbes[field]);
      await outside.until(1);
      expect(outside.received).toHaveLength(1);
      expect(JSON.stringify(outside.received)).not.toContain(ids().call);
      inside.unsubscribe();
      outside.unsubscribe();
    });
  }
});

// Issue 13: contacts are seen with their conversations, or from the shared address book.
describe("contacts seen by an agent outside the inbox", () => {
  const CONTACT = `{ __typename ... on Contact { id name phoneNumbers { number } } }`;
  /** A customer who only ever called the secret inbox (an HR line), with a name an insider gave them. */
  async function hiddenCustomer(number: string) {
    const seeded = await seedConversation(api.app, { inboxIds: [secretInbox.id], customerNumber: number });
    await api.app.db.prisma.contact.update({ where: { id: seeded.contactId! }, data: { name: `Customer ${number}` } });
    return globalId("Contact", seeded.contactId!);
  }
  const contactIds = async (token: string, search: string) => {
    const result = await api.request<any, any>(
      `query($search: String) { contacts(search: $search, first: 100) { edges { node { id } } } }`,
      { search },
      token,
    );
    expect(result.errors).toBeUndefined();
    return result.data.contacts.edges.map((e: any) => e.node.id) as string[];
  };
  const node = async (token: string, id: string) =>
    (await api.request<any, any>(`query($id: ID!) { node(id: $id) ${CONTACT} }`, { id }, token)).data.node;

  it("hides a customer seen only in another inbox from contacts, search and node; admins and members see it", async () => {
    const hidden = await hiddenCustomer("+16505550171");
    for (const search of ["+16505550171", "650.555.0171", "0171", "Customer"]) {
      expect(await contactIds(outsider.token, search)).not.toContain(hidden);
      expect(await contactIds(insider.token, search)).toContain(hidden);
      expect(await contactIds(admin.token, search)).toContain(hidden);
    }
    expect(await node(outsider.token, hidden)).toBeNull();
    expect(await node(insider.token, hidden)).toMatchObject({ id: hidden, name: "Customer +16505550171" });
    expect(await node(admin.token, hidden)).toMatchObject({ id: hidden });
  });

  it("shows a contact created by hand to everyone (the shared address book)", async () => {
    const created = await api.request<any, any>(
      `mutation { createContact(name: "Courier", phoneNumbers: [{ number: "+16505550172" }]) { __typename ` +
        "... on ContactPayload { contact { id } } } }",
      undefined,
      insider.token,
    );
    const id = created.data.createContact.contact.id;
    expect(await contactIds(outsider.token, "Courier")).toEqual([id]);
    expect(await node(outsider.token, id)).toMatchObject({ id, name: "Courier" });
  });

  it("shows a customer once one of their conversations is in the agent's inbox", async () => {
    const customer = await hiddenCustomer("+16505550173");
    expect(await node(outsider.token, customer)).toBeNull();
    const open = await api.app.db.prisma.inbox.findUniqueOrThrow({ where: { name: "Open" } });
    await seedConversation(api.app, { inboxIds: [open.id], customerNumber: "+16505550173" });
    expect(await node(outsider.token, customer)).toMatchObject({ id: customer });
    expect(await contactIds(outsider.token, "0173")).toEqual([customer]);
  });

  it("refuses to text or call a hidden customer by contact id, as if missing", async () => {
    const hidden = await hiddenCustomer("+16505550174");
    const open = await api.app.db.prisma.inbox.findUniqueOrThrow({ where: { name: "Open" } });
    const sms = await api.app.db.prisma.channel.create({
      data: { type: "SMS", phoneNumber: "+16505550175", inboxId: open.id },
    });
    const voice = await api.app.db.prisma.channel.findFirstOrThrow({ where: { inboxId: open.id, type: "VOICE" } });
    const send = (token: string, contactId: string) =>
      api.request<any, any>(
        `mutation($channel: ID!, $contact: ID!) { sendMessage(channelId: $channel, contactId: $contact, text: "hi") ` +
          `${RESULT} }`,
        { channel: globalId("Channel", sms.id), contact: contactId },
        token,
      );
    const call = (token: string, contactId: string) =>
      api.request<any, any>(
        `mutation($channel: ID!, $contact: ID!) { placeCall(channelId: $channel, contactId: $contact) ${RESULT} }`,
        { channel: globalId("Channel", voice.id), contact: contactId },
        token,
      );
    const before = await snapshot();
    expect((await send(outsider.token, hidden)).data.sendMessage).toMatchObject({ code: "NOT_FOUND" });
    expect((await call(outsider.token, hidden)).data.placeCall).toMatchObject({ code: "NOT_FOUND" });
    expect(await snapshot()).toEqual(before);
    // A customer the outsider can see gets past the contact: stopped later, for want of RingCentral.
    const visible = globalId("Contact", await openCustomerId());
    expect((await send(outsider.token, visible)).data.sendMessage.code).not.toBe("NOT_FOUND");
    expect((await call(outsider.token, visible)).data.placeCall.__typename).toBe("RingCentralLoginRequiredError");
  });

  async function openCustomerId() {
    const phone = await api.app.db.prisma.contactPhone.findUniqueOrThrow({ where: { e164: "+16505550999" } });
    return phone.contactId;
  }
});
