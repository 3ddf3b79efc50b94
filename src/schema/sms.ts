// SMS/MMS types (R4): uploads, message templates, the send/reply payload, the messageAdded event,
// and where an attachment's content is downloaded (R4.5).
import { GraphQLError, GraphQLScalarType } from "graphql";
import { builder } from "./builder.ts";
import { viewerOf } from "./viewer.ts";
import { AttachmentRef } from "./messages.ts";
import { ConversationRef } from "./conversations.ts";
import { visibleMessages } from "../domain/access.ts";
import { templateVariables } from "../domain/message-templates.ts";
import type { EventRecordOf } from "../domain/events.ts";
import { EventTypeEnum, eventConversation } from "./events.ts";
import { attachmentDownloadPath } from "../downloads.ts";

type Upload = { name: string; type: string; size: number; arrayBuffer(): Promise<ArrayBuffer> };

function isUpload(value: unknown): value is Upload {
  const candidate = value as Partial<Upload> | null;
  return typeof candidate?.arrayBuffer === "function" && typeof candidate.name === "string";
}

builder.addScalarType(
  "File",
  new GraphQLScalarType<Upload, never>({
    name: "File",
    description:
      "A file sent as a part of a GraphQL multipart request " +
      "(https://github.com/jaydenseric/graphql-multipart-request-spec). Input only.",
    parseValue: (value) => {
      if (!isUpload(value))
        throw new GraphQLError("A File must be uploaded as a part of a multipart request", {
          extensions: { code: "BAD_USER_INPUT" },
        });
      return value;
    },
    parseLiteral: () => {
      throw new GraphQLError("A File cannot be written in the query: upload it with a multipart request", {
        extensions: { code: "BAD_USER_INPUT" },
      });
    },
    serialize: () => {
      throw new Error("File is an input-only scalar");
    },
  }),
  {},
);

builder.objectField(AttachmentRef, "downloadUrl", (t) =>
  t.string({
    nullable: true,
    description:
      "Where to download the content, relative to the API's base URL (e.g. `/files/attachments/…`); send the " +
      "same bearer token. Null when RingCentral holds no content for it.",
    resolve: (attachment) => (attachment.contentUri ? attachmentDownloadPath(attachment.id) : null),
  }),
);

export const MessageTemplateRef = builder.prismaNode("MessageTemplate", {
  nullable: true,
  description: "A reusable SMS text with `{{variable}}` placeholders.",
  id: { field: "id", description: "Global id." },
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique name." }),
    body: t.exposeString("body", { description: "The text, with `{{variable}}` placeholders." }),
    variables: t.stringList({
      description:
        "The placeholders it uses, in order. Built in: contact.name, contact.phone, agent.name, agent.email, " +
        "channel.number; others are passed as `variables` when sending.",
      resolve: (template) => templateVariables(template.body),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it was last changed." }),
  }),
});

export const TemplateVariableInput = builder.inputType("TemplateVariableInput", {
  description: "A value for a template's `{{name}}` placeholder.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The placeholder's name, e.g. `order.number`." }),
    value: t.string({ required: true, description: "What to put in its place." }),
  }),
});

type Row = { id: string };

export const MessagePayload = builder.objectRef<{ message: Row; conversation: Row }>("MessagePayload").implement({
  description: "A message sent, and the conversation it is in.",
  fields: (t) => ({
    message: t.prismaField({
      type: "Message",
      description: "The message, with RingCentral's status at the time it accepted it.",
      resolve: (query, payload, _args, ctx) =>
        ctx.prisma.message.findUniqueOrThrow({ ...query, where: { id: payload.message.id } }),
    }),
    conversation: t.field({
      type: ConversationRef as never,
      description: "Its conversation after the change.",
      resolve: (payload) => payload.conversation as never,
    }),
  }),
});

export const MessageTemplatePayload = builder.objectRef<{ messageTemplate: Row }>("MessageTemplatePayload").implement({
  description: "A message template after a change.",
  fields: (t) => ({
    messageTemplate: t.field({
      type: MessageTemplateRef as never,
      description: "The template.",
      resolve: (payload) => payload.messageTemplate as never,
    }),
  }),
});

/** Event types messageAdded carries. */
export const MESSAGE_EVENT_TYPES = ["MESSAGE_ADDED", "MESSAGE_STATUS_CHANGED", "MESSAGE_FAILED"] as const;

export const MessageEventRef = builder
  .objectRef<EventRecordOf<(typeof MESSAGE_EVENT_TYPES)[number]>>("MessageEvent")
  .implement({
    description: "A message arrived or was sent, or its delivery status changed.",
    fields: (t) => ({
      cursor: t.exposeString("sequence", { description: "Pass as `after` to resume right after this event." }),
      type: t.field({
        type: EventTypeEnum,
        description:
          "MESSAGE_ADDED (inbound or outbound), MESSAGE_STATUS_CHANGED (QUEUED → SENT → DELIVERED) or MESSAGE_FAILED.",
        resolve: (e) => e.type,
      }),
      createdAt: t.field({ type: "DateTime", description: "When it happened.", resolve: (e) => e.createdAt }),
      status: t.string({
        description: "The message's delivery status as of this event (RECEIVED for inbound).",
        resolve: (e) => e.payload.status,
      }),
      message: t.prismaField({
        type: "Message",
        nullable: true,
        description: "The message as it is now (null if you can no longer see it).",
        resolve: (query, event, _args, ctx) =>
          ctx.prisma.message.findFirst({
            ...query,
            where: { AND: [{ id: event.payload.messageId }, visibleMessages(viewerOf(ctx))] },
          }),
      }),
      conversation: t.prismaField({
        type: "Conversation",
        nullable: true,
        description: "Its conversation as it is now (null if you can no longer see it).",
        resolve: (query, event, _args, ctx) => eventConversation(query, event, ctx),
      }),
    }),
  });
