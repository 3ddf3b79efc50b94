// SMS root fields (R4.3–R4.5): send, reply, message templates, and the messageAdded subscription.
// Thin: parse ids and uploads, call the domain with the process's SmsSender, return a payload.
import type { Context } from "../context.ts";
import { builder } from "../schema/builder.ts";
import { RING_CENTRAL_ERRORS } from "../schema/errors.ts";
import { viewerOf } from "../schema/viewer.ts";
import { ChannelRef, InboxRef } from "../schema/inboxes.ts";
import { ContactRef } from "../schema/contacts.ts";
import { ConversationRef } from "../schema/conversations.ts";
import {
  MESSAGE_EVENT_TYPES,
  MessageEventRef,
  MessagePayload,
  MessageTemplatePayload,
  MessageTemplateRef,
  TemplateVariableInput,
} from "../schema/sms.ts";
import { InvalidInputError } from "../domain/errors.ts";
import { RingCentralNotConnectedError } from "../domain/ringcentral-errors.ts";
import { sendMessage, type SendMessageInput } from "../domain/sms/sending.ts";
import type { OutgoingAttachment, SmsSender, SmsSenderSource } from "../domain/sms/sender.ts";
import { createMessageTemplate, deleteMessageTemplate, updateMessageTemplate } from "../domain/message-templates.ts";
import { inboxEventsOf, EVENT_IS_RESULT } from "./event-streams.ts";

type Upload = { name: string; type: string; arrayBuffer(): Promise<ArrayBuffer> };

/** The process's SMS sender (src/context.ts `smsSender`); absent when RingCentral is not set up here. */
function smsSenderOf(ctx: Context): SmsSenderSource {
  const provide = (ctx as Context & { smsSender?: (channelId: string) => Promise<SmsSender> }).smsSender;
  return async (channelId) => {
    if (!provide)
      throw new RingCentralNotConnectedError("RingCentral is not connected in this process: SMS cannot be sent");
    return provide(channelId);
  };
}

async function attachmentsOf(uploads: readonly Upload[] | null | undefined): Promise<OutgoingAttachment[]> {
  return Promise.all(
    (uploads ?? []).map(async (upload) => ({
      fileName: upload.name,
      contentType: upload.type || "application/octet-stream",
      content: Buffer.from(await upload.arrayBuffer()),
    })),
  );
}

/** `[{name, value}]` as a map; a name given twice is ambiguous. */
function variablesOf(
  variables: readonly { name: string; value: string }[] | null | undefined,
): Record<string, string> | null {
  if (!variables) return null;
  const values: Record<string, string> = {};
  variables.forEach(({ name, value }, index) => {
    if (Object.hasOwn(values, name)) throw new InvalidInputError(`"${name}" is given twice`, `variables.${index}.name`);
    values[name] = value;
  });
  return values;
}

async function send(
  ctx: Context,
  input: Omit<SendMessageInput, "attachments" | "variables">,
  uploads: readonly Upload[] | null | undefined,
  variables: readonly { name: string; value: string }[] | null | undefined,
) {
  const { message, conversation } = await sendMessage(
    ctx,
    viewerOf(ctx),
    { ...input, variables: variablesOf(variables), attachments: await attachmentsOf(uploads) },
    smsSenderOf(ctx),
  );
  return { message, conversation };
}

builder.queryFields((t) => ({
  messageTemplates: t.prismaField({
    type: ["MessageTemplate"],
    description: "Every message template, by name.",
    resolve: (query, _root, _args, ctx) => ctx.prisma.messageTemplate.findMany({ ...query, orderBy: { name: "asc" } }),
  }),
}));

builder.mutationFields((t) => {
  const content = () => ({
    text: t.arg.string({
      required: false,
      description: "The text (≤ 1000 characters; an emoji counts as 2). Leave out when using a template.",
    }),
    attachments: t.arg({
      type: ["File"],
      required: false,
      description:
        "MMS files: at most 10 and 1,500,000 bytes in total; images, video, audio, vCard, PDF and other types " +
        "RingCentral accepts.",
    }),
    templateId: t.arg.globalID({
      for: MessageTemplateRef,
      required: false,
      description: "Send this template instead of `text`.",
    }),
    variables: t.arg({
      type: [TemplateVariableInput],
      required: false,
      description: "Values for the template's own placeholders.",
    }),
  });
  return {
    sendMessage: t.field({
      type: MessagePayload,
      description:
        "Send an SMS or MMS from a connected SMS channel to a phone number (any format) or a contact. It joins " +
        "the customer's open conversation on that channel, or starts one. Everything is checked before " +
        "anything is sent.",
      errors: { types: RING_CENTRAL_ERRORS },
      args: {
        channelId: t.arg.globalID({ for: ChannelRef, required: true, description: "The SMS channel to send from." }),
        to: t.arg.string({ required: false, description: "The recipient's phone number (give this or contactId)." }),
        contactId: t.arg.globalID({
          for: ContactRef,
          required: false,
          description: "The recipient contact; their first number is used.",
        }),
        ...content(),
      },
      resolve: (_root, args, ctx) =>
        send(
          ctx,
          {
            channelId: args.channelId.id,
            to: args.to,
            contactId: args.contactId?.id,
            text: args.text,
            templateId: args.templateId?.id,
          },
          args.attachments,
          args.variables,
        ),
    }),
    replyToConversation: t.field({
      type: MessagePayload,
      description:
        "Reply by SMS/MMS in a conversation: from its SMS channel to its customer. Everything is checked " +
        "before anything is sent.",
      errors: { types: RING_CENTRAL_ERRORS },
      args: {
        conversationId: t.arg.globalID({ for: ConversationRef, required: true, description: "The conversation." }),
        ...content(),
      },
      resolve: (_root, args, ctx) =>
        send(
          ctx,
          { conversationId: args.conversationId.id, text: args.text, templateId: args.templateId?.id },
          args.attachments,
          args.variables,
        ),
    }),
    createMessageTemplate: t.field({
      type: MessageTemplatePayload,
      description: "Admins: create a message template.",
      authScopes: { admin: true },
      errors: {},
      args: {
        name: t.arg.string({ required: true, description: "Unique name (1–100 characters)." }),
        body: t.arg.string({
          required: true,
          description: "The text (≤ 1000 characters), with `{{variable}}` placeholders.",
        }),
      },
      resolve: async (_root, args, ctx) => ({ messageTemplate: await createMessageTemplate(ctx.prisma, args) }),
    }),
    updateMessageTemplate: t.field({
      type: MessageTemplatePayload,
      description: "Admins: rename a template or change its text.",
      authScopes: { admin: true },
      errors: {},
      args: {
        templateId: t.arg.globalID({ for: MessageTemplateRef, required: true, description: "The template." }),
        name: t.arg.string({ required: false, description: "A new unique name." }),
        body: t.arg.string({ required: false, description: "A new text." }),
      },
      resolve: async (_root, args, ctx) => ({
        messageTemplate: await updateMessageTemplate(ctx.prisma, args.templateId.id, {
          name: args.name,
          body: args.body,
        }),
      }),
    }),
    deleteMessageTemplate: t.field({
      type: MessageTemplatePayload,
      description: "Admins: delete a template.",
      authScopes: { admin: true },
      errors: {},
      args: { templateId: t.arg.globalID({ for: MessageTemplateRef, required: true, description: "The template." }) },
      resolve: async (_root, args, ctx) => ({
        messageTemplate: await deleteMessageTemplate(ctx.prisma, args.templateId.id),
      }),
    }),
  };
});

builder.subscriptionFields((t) => ({
  messageAdded: t.field({
    type: MessageEventRef,
    description:
      "Messages arriving in or sent from an inbox, and their delivery status changes (MESSAGE_ADDED, " +
      "MESSAGE_STATUS_CHANGED, MESSAGE_FAILED). Pass the last `cursor` you saw as `after` to first " +
      "receive what you missed — no gap, no duplicate.",
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      after: t.arg.string({ required: false, description: "Resume after this event cursor." }),
    },
    subscribe: (_root, args, ctx) => inboxEventsOf(ctx, args.inboxId.id, args.after, MESSAGE_EVENT_TYPES),
    resolve: (event) => event,
    extensions: EVENT_IS_RESULT,
  }),
}));
