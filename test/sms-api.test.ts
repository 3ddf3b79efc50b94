// SMS over the API (R4.3–R4.5, R8.2): sending and replying through the real @ringcentral/sdk to the
// in-process RingCentral simulator (whose sent-messages log shows what RingCentral received),
// validation before anything is sent, templates, the messageAdded subscription over graphql-ws,
// delivery status, and attachment downloads with access rules — observed through GraphQL and HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SDK } from "@ringcentral/sdk";
import type { Simulator } from "../src/integrations/ringcentral/simulator/index.ts";
import type { Deps } from "../src/domain/event-log.ts";
import { applyMessageStatus } from "../src/domain/sms/delivery-status.ts";
import { ingestInboundMessage } from "../src/domain/sms/inbound.ts";
import { deliveryStatusOf } from "../src/integrations/ringcentral/sms.ts";
import { globalId, resolveNodes, subscribe } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import {
  SIM_SMS_NUMBER,
  receiveSmsFromSimulator,
  sentToRingCentral,
  simControl,
  startSmsSimulator,
  startSmsTestApi,
  type SmsTestApi,
} from "./support/sms.ts";
import {
  ConversationAttachmentsDocument,
  CreateTemplateDocument,
  DeleteTemplateDocument,
  MessageAddedDocument,
  ReplyBySmsDocument,
  SendSmsDocument,
  TemplatesDocument,
  UpdateTemplateDocument,
} from "./generated/graphql.ts";

type User = Awaited<ReturnType<SmsTestApi["createUser"]>>;

let sim: Simulator;
let sdk: SDK;
let api: SmsTestApi;
let deps: Deps;
let admin: User;
let member: User; // member of Support, where the SMS channel is
let outsider: User; // member of Sales only
let support: { id: string; globalId: string };
let channelId: string; // global id of the SMS channel on the simulator's SMS-capable number

beforeAll(async () => {
  ({ sim, sdk } = await startSmsSimulator());
  api = await startSmsTestApi({ sim });
  deps = { prisma: api.app.db.prisma, pubsub: api.app.pubsub };
  admin = await api.createUser("ADMIN", "admin");
  member = await api.createUser("AGENT", "member");
  outsider = await api.createUser("AGENT", "outsider");
  support = await seedInbox(api.app, "Support", [member.id]);
  await seedInbox(api.app, "Sales", [outsider.id]);
  const channel = await deps.prisma.channel.create({
    data: { type: "SMS", phoneNumber: SIM_SMS_NUMBER, inboxId: support.id },
  });
  channelId = globalId("Channel", channel.id);
});
afterAll(async () => {
  await api.close();
  await sim.close();
});
beforeEach(async () => {
  // Messages stay Queued until a test moves them, so statuses are what the test makes them.
  await simControl(sim, "PUT", "/__sim/sms/settings", { progression: "manual", failingNumbers: [] });
});

function bytes(length: number, fill = 7): Uint8Array<ArrayBuffer> {
  return new Uint8Array(length).fill(fill);
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const SEND_WITH_FILES =
  `mutation($channelId: ID!, $to: String, $text: String, $attachments: [File!]) {
  sendMessage(channelId: $channelId, to: $to, text: $text, attachments: $attachments) {
    __typename
    ... on MessagePayload { message { id text status attachments { id fileName contentType sizeBytes downloadUrl ` +
  `} } conversation { id } }
    ... on InvalidInputError { code field errorMessage: message }
  }
}`;

async function sendWithFiles(files: File[], variables: { to?: string; text?: string } = {}, token = member.token) {
  const attachments = files.map(() => null);
  const map = Object.fromEntries(files.map((file, i) => [`attachments.${i}`, file]));
  return api.upload<any>(
    SEND_WITH_FILES,
    { channelId, to: "+14155550120", text: "files", ...variables, attachments },
    map,
    token,
  );
}

describe("R4.3 sending and replying", () => {
  it("sends an SMS to a number in any format: RingCentral receives the text intact (emoji, any Unicode); stored QUEUED, sent by the agent", async () => {
    const text = "Hi 👋🏽 — your order is ready ✅ Grüße, 日本語, עברית, 🇺🇸";
    const result = await api.request(SendSmsDocument, { channelId, to: "(415) 555-0101", text }, member.token);
    const payload = result.data!.sendMessage;
    if (payload.__typename !== "MessagePayload") throw new Error(JSON.stringify(result));
    expect(payload.message).toMatchObject({
      direction: "OUTBOUND",
      status: "QUEUED",
      fromNumber: SIM_SMS_NUMBER,
      toNumber: "+14155550101",
      text,
      sentBy: { id: member.globalId },
      attachments: [],
    });
    // A new contact with the number only, in a conversation in the channel's inbox.
    expect(payload.conversation).toMatchObject({
      status: "OPEN",
      channel: { id: channelId },
      inboxes: [{ id: support.globalId }],
      contact: { name: null },
    });

    const received = (await sentToRingCentral(sim)).find((r) => r.to[0] === "+14155550101");
    expect(received).toMatchObject({ from: SIM_SMS_NUMBER, to: ["+14155550101"], text, attachments: [] });
    const stored = await deps.prisma.message.findFirstOrThrow({ where: { toNumber: "+14155550101" } });
    expect(stored.ringCentralId).toBe(String(received.id));

    // The customer's next message threads into the same conversation.
    const again = await api.request(
      SendSmsDocument,
      { channelId, to: "+14155550101", text: "And another" },
      member.token,
    );
    expect(again.data!.sendMessage).toMatchObject({ conversation: { id: payload.conversation.id } });
  });

  it("sends an MMS with uploaded files as multipart: RingCentral receives every file; each is downloadable", async () => {
    const vcard = new TextEncoder().encode("BEGIN:VCARD\nVERSION:3.0\nFN:Jane Roe\nEND:VCARD\n");
    const files = [
      new File([PNG], "photo.png", { type: "image/png" }),
      new File([vcard], "jane.vcf", { type: "text/vcard" }),
    ];
    const result = await sendWithFiles(files, { to: "+14155550102", text: "Here you go 📎" });
    const payload = result.data.sendMessage;
    expect(payload.__typename).toBe("MessagePayload");
    expect(payload.message.attachments.map((a: any) => [a.fileName, a.contentType, a.sizeBytes])).toEqual([
      ["photo.png", "image/png", PNG.length],
      ["jane.vcf", "text/vcard", vcard.length],
    ]);
    const received = (await sentToRingCentral(sim)).find((r) => r.to[0] === "+14155550102");
    expect(received.text).toBe("Here you go 📎");
    expect(received.attachments.map((a: any) => [a.fileName, a.contentType, a.size])).toEqual([
      ["photo.png", "image/png", PNG.length],
      ["jane.vcf", "text/vcard", vcard.length],
    ]);
    const download = await fetch(`${api.url}${payload.message.attachments[0].downloadUrl}`, {
      headers: { authorization: `Bearer ${member.token}` },
    });
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(PNG);
  });

  it("replies in a conversation a customer started: to the customer's number, from the conversation's channel", async () => {
    const inbound = await receiveSmsFromSimulator(sim, {
      from: "+14155550103",
      to: SIM_SMS_NUMBER,
      text: "Is my order shipped?",
      fromName: "Jane From RingCentral",
    });
    const { conversationId } = (await ingestInboundMessage(deps, inbound))!;
    const result = await api.request(
      ReplyBySmsDocument,
      { conversationId: globalId("Conversation", conversationId), text: "Yes — today 🚚" },
      member.token,
    );
    expect(result.data!.replyToConversation).toMatchObject({
      __typename: "MessagePayload",
      message: { toNumber: "+14155550103", fromNumber: SIM_SMS_NUMBER, text: "Yes — today 🚚" },
      // R5.2: never named from RingCentral
      conversation: { id: globalId("Conversation", conversationId), contact: { name: null } },
    });
    expect((await sentToRingCentral(sim)).find((r) => r.to[0] === "+14155550103")).toMatchObject({
      text: "Yes — today 🚚",
    });
  });
});

describe("R4.3 bad input is refused before anything is sent", () => {
  async function expectNothingSent(attempt: () => Promise<unknown>) {
    const [sentBefore, storedBefore, eventsBefore] = [
      (await sentToRingCentral(sim)).length,
      await deps.prisma.message.count(),
      await deps.prisma.event.count(),
    ];
    await attempt();
    expect((await sentToRingCentral(sim)).length).toBe(sentBefore);
    expect(await deps.prisma.message.count()).toBe(storedBefore);
    expect(await deps.prisma.event.count()).toBe(eventsBefore);
  }

  const cases: [string, Record<string, unknown>, string][] = [
    ["an invalid number", { to: "12", text: "hi" }, "to"],
    ["a number with text around it", { to: "call 415 555 0100 now", text: "hi" }, "to"],
    ["no recipient", { text: "hi" }, "to"],
    ["an empty message", { to: "+14155550104", text: "   " }, "text"],
    ["1001 characters", { to: "+14155550104", text: "x".repeat(1001) }, "text"],
    ["501 emoji (1002 UTF-16 units, RingCentral's measure)", { to: "+14155550104", text: "😀".repeat(501) }, "text"],
  ];
  for (const [name, variables, field] of cases) {
    it(`${name} → BAD_USER_INPUT on ${field}`, async () => {
      await expectNothingSent(async () => {
        const result = await api.request(SendSmsDocument, { channelId, ...variables } as never, member.token);
        expect(result.data!.sendMessage).toMatchObject({
          __typename: "InvalidInputError",
          code: "BAD_USER_INPUT",
          field,
        });
      });
    });
  }

  it("1000 characters with emoji counted as RingCentral counts them is accepted", async () => {
    const text = "😀".repeat(500);
    const result = await api.request(SendSmsDocument, { channelId, to: "+14155550105", text }, member.token);
    expect(result.data!.sendMessage).toMatchObject({ __typename: "MessagePayload", message: { text } });
  });

  const fileCases: [string, () => File[], string][] = [
    [
      "11 attachments",
      () => Array.from({ length: 11 }, (_, i) => new File([bytes(10)], `${i}.png`, { type: "image/png" })),
      "attachments",
    ],
    [
      "1,500,001 bytes in total",
      () => [
        new File([bytes(750_000)], "a.jpg", { type: "image/jpeg" }),
        new File([bytes(750_001)], "b.jpg", { type: "image/jpeg" }),
      ],
      "attachments",
    ],
    ["an executable", () => [new File([bytes(10)], "run.exe", { type: "application/x-msdownload" })], "attachments.0"],
    ["an empty file", () => [new File([], "empty.png", { type: "image/png" })], "attachments.0"],
  ];
  for (const [name, files, field] of fileCases) {
    it(`${name} → BAD_USER_INPUT on ${field}`, async () => {
      await expectNothingSent(async () => {
        const result = await sendWithFiles(files());
        expect(result.data.sendMessage).toMatchObject({
          __typename: "InvalidInputError",
          code: "BAD_USER_INPUT",
          field,
        });
      });
    });
  }

  it("exactly 10 attachments and 1,500,000 bytes are accepted", async () => {
    const files = Array.from({ length: 10 }, (_, i) => new File([bytes(150_000)], `${i}.jpg`, { type: "image/jpeg" }));
    const result = await sendWithFiles(files, { to: "+14155550106" });
    expect(result.data.sendMessage.__typename).toBe("MessagePayload");
    expect((await sentToRingCentral(sim)).find((r) => r.to[0] === "+14155550106").attachments).toHaveLength(10);
  });

  it("a channel in an inbox the agent is not in is NOT_FOUND, like a missing one; a voice channel is not an SMS channel", async () => {
    const voice = await deps.prisma.channel.create({
      data: { type: "VOICE", phoneNumber: "+14155550177", inboxId: support.id },
    });
    await expectNothingSent(async () => {
      const hidden = await api.request(SendSmsDocument, { channelId, to: "+14155550107", text: "hi" }, outsider.token);
      expect(hidden.data!.sendMessage).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
      const missing = await api.request(
        SendSmsDocument,
        { channelId: globalId("Channel", crypto.randomUUID()), to: "+14155550107", text: "hi" },
        member.token,
      );
      expect(missing.data!.sendMessage).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
      const notSms = await api.request(
        SendSmsDocument,
        { channelId: globalId("Channel", voice.id), to: "+14155550107", text: "hi" },
        member.token,
      );
      expect(notSms.data!.sendMessage).toMatchObject({ __typename: "InvalidInputError", field: "channelId" });
    });
  });

  it("RingCentral's own refusal of a recipient (an extension number) is BAD_USER_INPUT too, and nothing is stored", async () => {
    const before = await deps.prisma.message.count();
    // "11102" is not a phone number for us, so use a valid-looking number RingCentral refuses: the simulator's rule for
    // extensions.
    const result = await api.request(SendSmsDocument, { channelId, to: "+1411", text: "hi" }, member.token);
    expect(result.data!.sendMessage).toMatchObject({ __typename: "InvalidInputError", field: "to" });
    expect(await deps.prisma.message.count()).toBe(before);
  });
});

describe("message templates", () => {
  it("admins manage templates; agents send them with variables filled in, built-ins included", async () => {
    const forbidden = await api.request(CreateTemplateDocument, { name: "Nope", body: "x" }, member.token);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const bad = await api.request(CreateTemplateDocument, { name: "Broken", body: "Hi {{contact.name}" }, admin.token);
    expect(bad.data!.createMessageTemplate).toMatchObject({ __typename: "InvalidInputError", field: "body" });

    const created = await api.request(
      CreateTemplateDocument,
      { name: "Order ready", body: "Hi {{ contact.name }}, order {{order}} is ready 📦 — {{agent.name}}" },
      admin.token,
    );
    const template = (created.data!.createMessageTemplate as any).messageTemplate;
    expect(template.variables).toEqual(["contact.name", "order", "agent.name"]);
    const duplicate = await api.request(CreateTemplateDocument, { name: "Order ready", body: "again" }, admin.token);
    expect(duplicate.data!.createMessageTemplate).toMatchObject({ __typename: "ConflictError", code: "CONFLICT" });

    // In the address book (made by hand), so every agent may text it.
    const contact = await deps.prisma.contact.create({
      data: { name: "Dana", source: "MANUAL", phones: { create: { e164: "+14155550108" } } },
    });
    const missing = await api.request(
      SendSmsDocument,
      { channelId, contactId: globalId("Contact", contact.id), templateId: template.id },
      member.token,
    );
    expect(missing.data!.sendMessage).toMatchObject({ __typename: "InvalidInputError", field: "variables" });
    expect((missing.data!.sendMessage as any).errorMessage).toContain("{{order}}");

    const sent = await api.request(
      SendSmsDocument,
      {
        channelId,
        contactId: globalId("Contact", contact.id),
        templateId: template.id,
        variables: [{ name: "order", value: "#42" }],
      },
      member.token,
    );
    expect(sent.data!.sendMessage).toMatchObject({
      __typename: "MessagePayload",
      message: { text: "Hi Dana, order #42 is ready 📦 — member" },
    });
    expect((await sentToRingCentral(sim)).find((r) => r.to[0] === "+14155550108").text).toBe(
      "Hi Dana, order #42 is ready 📦 — member",
    );

    const updated = await api.request(
      UpdateTemplateDocument,
      { templateId: template.id, body: "Order {{order}} ready" },
      admin.token,
    );
    expect(updated.data!.updateMessageTemplate).toMatchObject({
      messageTemplate: { name: "Order ready", variables: ["order"] },
    });
    expect((await api.request(TemplatesDocument, {}, member.token)).data!.messageTemplates.map((t) => t.name)).toEqual([
      "Order ready",
    ]);
    expect(
      (await api.request(DeleteTemplateDocument, { templateId: template.id }, admin.token)).data!.deleteMessageTemplate
        .__typename,
    ).toBe("MessageTemplatePayload");
    expect((await api.request(TemplatesDocument, {}, member.token)).data!.messageTemplates).toEqual([]);
  });
});

describe("without a RingCentral connection", () => {
  it("sending fails with RINGCENTRAL_NOT_CONNECTED and stores nothing", async () => {
    const bare = await startSmsTestApi();
    try {
      const user = await bare.createUser("ADMIN", "lonely");
      const inbox = await seedInbox(bare.app, "Alone");
      const channel = await bare.app.db.prisma.channel.create({
        data: { type: "SMS", phoneNumber: SIM_SMS_NUMBER, inboxId: inbox.id },
      });
      const result = await bare.request(
        SendSmsDocument,
        { channelId: globalId("Channel", channel.id), to: "+14155550109", text: "hi" },
        user.token,
      );
      expect(result.data!.sendMessage).toMatchObject({ code: "RINGCENTRAL_NOT_CONNECTED" });
      expect(await bare.app.db.prisma.message.count()).toBe(0);
    } finally {
      await bare.close();
    }
  });
});

describe("R4.4 delivery status and R8.2 messageAdded", () => {
  it("streams inbound and outbound messages and their status to inbox members, resumably; FAILED reopens the conversation", async () => {
    const live = subscribe(api.wsClient(member.token), MessageAddedDocument, { inboxId: support.globalId });
    // The subscription is live once an event sent after it arrives: the first inbound message.
    const inbound = await receiveSmsFromSimulator(sim, { from: "+14155550110", to: SIM_SMS_NUMBER, text: "Hello? 🙂" });
    await ingestInboundMessage(deps, inbound);
    const [first] = await live.until(1);
    expect(first!.data!.messageAdded).toMatchObject({
      type: "MESSAGE_ADDED",
      status: "RECEIVED",
      message: { direction: "INBOUND", text: "Hello? 🙂" },
    });

    await simControl(sim, "PUT", "/__sim/sms/settings", { progression: "manual", failingNumbers: ["+14155550110"] });
    const conversationId = first!.data!.messageAdded.conversation!.id;
    const reply = await api.request(ReplyBySmsDocument, { conversationId, text: "We're here" }, member.token);
    expect(reply.data!.replyToConversation.__typename).toBe("MessagePayload");
    await api.request(
      `mutation($id: ID!) { archiveConversation(conversationId: $id) { __typename } }`,
      { id: conversationId },
      member.token,
    );

    // RingCentral reports the steps; the worker maps them and applies them (here: read back from RingCentral).
    const ringCentralId = (
      await deps.prisma.message.findFirstOrThrow({ where: { toNumber: "+14155550110", direction: "OUTBOUND" } })
    ).ringCentralId!;
    for (const step of ["Sent", "DeliveryFailed"]) {
      await simControl(sim, "POST", `/__sim/messages/${ringCentralId}/status`, { messageStatus: step });
      const stored = await (
        await sdk.platform().get(`/restapi/v1.0/account/~/extension/~/message-store/${ringCentralId}`)
      ).json();
      await applyMessageStatus(deps, {
        ringCentralId,
        status: deliveryStatusOf(stored.messageStatus)!,
        at: new Date(stored.lastModifiedTime),
      });
    }
    const events = (await live.until(4)).map((r) => r.data!.messageAdded);
    expect(events.map((e) => [e.type, e.status])).toEqual([
      ["MESSAGE_ADDED", "RECEIVED"],
      ["MESSAGE_ADDED", "QUEUED"],
      ["MESSAGE_STATUS_CHANGED", "SENT"],
      ["MESSAGE_FAILED", "FAILED"],
    ]);
    expect(events[3]).toMatchObject({
      message: { status: "FAILED" },
      conversation: { id: conversationId, status: "OPEN" },
    });
    live.unsubscribe();

    // The reopening is on the timeline; its data names the failed message by a global id node(id:) resolves.
    const timeline = await api.request<any, any>(
      `query($id: ID!) { node(id: $id) { ... on Conversation { timeline(first: 20) { edges { node {
        __typename ... on Activity { type data } } } } } } }`,
      { id: conversationId },
      member.token,
    );
    expect(timeline.errors).toBeUndefined();
    const reopened = timeline.data.node.timeline.edges
      .map((e: any) => e.node)
      .filter((n: any) => n.type === "REOPENED");
    const failedMessageId = events[3]!.message!.id;
    expect(reopened.map((a: any) => a.data)).toEqual([{ reason: "MESSAGE_FAILED", messageId: failedMessageId }]);
    expect(await resolveNodes(api, member.token, [reopened[0].data.messageId])).toEqual([
      { __typename: "Message", id: failedMessageId },
    ]);

    // Resuming after the first event replays exactly the rest, with no duplicate.
    const resumed = subscribe(api.wsClient(member.token), MessageAddedDocument, {
      inboxId: support.globalId,
      after: events[0]!.cursor,
    });
    const replayed = (await resumed.until(3)).map((r) => r.data!.messageAdded.cursor);
    expect(replayed).toEqual(events.slice(1).map((e) => e.cursor));
    resumed.unsubscribe();
  });

  it("refuses an outsider's subscription as if the inbox did not exist", async () => {
    const denied = subscribe(api.wsClient(outsider.token), MessageAddedDocument, {
      inboxId: support.globalId,
      after: "0",
    });
    await denied.finished;
    expect(JSON.stringify(denied.error ?? denied.received)).toContain("NOT_FOUND");
    expect(denied.received.some((r) => r.data)).toBe(false);
  });
});

describe("R4.5 inbound media downloads", () => {
  it("serves an inbound MMS image to inbox members; 404 for outsiders exactly like a missing id; 401 without a token", async () => {
    const inbound = await receiveSmsFromSimulator(sim, {
      from: "+14155550111",
      to: SIM_SMS_NUMBER,
      text: "Photo of the damage",
      attachments: [{ contentType: "image/png", fileName: "damage.png", base64: Buffer.from(PNG).toString("base64") }],
    });
    const { conversationId } = (await ingestInboundMessage(deps, inbound))!;
    const result = await api.request(
      ConversationAttachmentsDocument,
      { id: globalId("Conversation", conversationId) },
      member.token,
    );
    const conversation = result.data!.node as any;
    const [attachment] = conversation.messages.edges[0].node.attachments;
    expect(attachment).toMatchObject({
      fileName: "damage.png",
      contentType: "image/png",
      sizeBytes: PNG.length,
      downloadUrl: expect.stringMatching(/^\/files\/attachments\//),
    });

    const get = (path: string, token?: string) =>
      fetch(`${api.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const allowed = await get(attachment.downloadUrl, member.token);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("content-type")).toBe("image/png");
    expect(allowed.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''damage.png");
    expect(new Uint8Array(await allowed.arrayBuffer())).toEqual(PNG);
    expect((await get(attachment.downloadUrl, admin.token)).status).toBe(200);

    const outside = await get(attachment.downloadUrl, outsider.token);
    const missing = await get(`/files/attachments/${crypto.randomUUID()}`, outsider.token);
    expect([outside.status, missing.status]).toEqual([404, 404]);
    expect(await outside.text()).toBe(await missing.text());
    expect((await get("/files/attachments/not-a-uuid", member.token)).status).toBe(404);

    const anonymous = await get(attachment.downloadUrl);
    expect(anonymous.status).toBe(401);
    expect((await get(attachment.downloadUrl, "not-a-token")).status).toBe(401);
  });
});
