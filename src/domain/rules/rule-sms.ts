// Texts a rule sends (an SMS template, a CSAT survey): from the conversation's SMS channel — for a
// voice conversation, the SMS channel of the same number, else of its inbox — to the customer, stored
// in the conversation the rule acted on, without reopening it.
import type { Channel, PrismaClient } from "../../generated/prisma/client.ts";
import { conversationWithInboxes, type ConversationWithInboxes } from "../conversations.ts";
import { inTransaction, type Deps, type Transaction } from "../event-log.ts";
import type { RuleCause } from "../events.ts";
import { findMessageTemplate, renderTemplate } from "../message-templates.ts";
import { regionOf, toE164 } from "../phone-numbers.ts";
import { lockRingCentralMessage } from "../../store/locks.ts";
import { advanceLastActivity, messageEvent } from "../sms/message-activity.ts";
import type { SmsSender } from "../sms/sender.ts";

export interface SmsRoute {
  channel: Channel;
  /** E.164. */
  to: string;
}

/** Why a rule could not text a conversation's customer. */
export class NoSmsRoute extends Error {}

async function smsChannelFor(
  prisma: PrismaClient,
  conversation: ConversationWithInboxes & { channel: Channel | null },
) {
  if (conversation.channel?.type === "SMS" && !conversation.channel.disconnectedAt) return conversation.channel;
  const usable = { type: "SMS" as const, disconnectedAt: null };
  const sameNumber = conversation.channel
    ? await prisma.channel.findFirst({ where: { ...usable, phoneNumber: conversation.channel.phoneNumber } })
    : null;
  return (
    sameNumber ??
    (await prisma.channel.findFirst({
      where: { ...usable, inboxId: { in: conversation.inboxes.map((i) => i.inboxId) } },
      orderBy: { createdAt: "asc" },
    }))
  );
}

/** The customer's number: the other side of the last message or call, else the contact's first number. */
async function customerOf(prisma: PrismaClient, conversation: ConversationWithInboxes): Promise<string | null> {
  const [message, call, phone] = await Promise.all([
    prisma.message.findFirst({ where: { conversationId: conversation.id }, orderBy: { createdAt: "desc" } }),
    prisma.call.findFirst({ where: { conversationId: conversation.id }, orderBy: { createdAt: "desc" } }),
    conversation.contactId
      ? prisma.contactPhone.findFirst({ where: { contactId: conversation.contactId }, orderBy: { createdAt: "asc" } })
      : null,
  ]);
  if (message) return message.direction === "INBOUND" ? message.fromNumber : message.toNumber;
  if (call) return call.direction === "INBOUND" ? call.fromNumber : call.toNumber;
  return phone?.e164 ?? null;
}

export async function smsRouteFor(prisma: PrismaClient, conversationId: string): Promise<SmsRoute> {
  const conversation = await prisma.conversation.findUniqueOrThrow({
    where: { id: conversationId },
    include: { ...conversationWithInboxes, channel: true },
  });
  const channel = await smsChannelFor(prisma, conversation);
  if (!channel) throw new NoSmsRoute("no SMS channel for the customer's number");
  const raw = await customerOf(prisma, conversation);
  const to = raw ? toE164(raw, regionOf(channel.phoneNumber)) : null;
  if (!to) throw new NoSmsRoute("the customer has no phone number that can receive SMS");
  return { channel, to };
}

/** A template's text with what a rule knows: the contact, the assigned agent, the channel. */
export async function ruleTemplateText(
  prisma: PrismaClient,
  templateId: string,
  conversationId: string,
  route: SmsRoute,
  variables: Record<string, string> = {},
): Promise<string> {
  const template = await findMessageTemplate(prisma, templateId);
  const conversation = await prisma.conversation.findUniqueOrThrow({
    where: { id: conversationId },
    include: { contact: true, assignee: true },
  });
  const builtIn: Record<string, string> = {
    "contact.name": conversation.contact?.name ?? "",
    "contact.phone": route.to,
    "agent.name": conversation.assignee?.name ?? "",
    "agent.email": conversation.assignee?.email ?? "",
    "channel.number": route.channel.phoneNumber,
  };
  return renderTemplate(template.body, { ...builtIn, ...variables });
}

/**
 * Sends `text` and stores it in the conversation (MESSAGE_ADDED with the rule), then `alongside`
 * in the same transaction (the CSAT survey row). The conversation's status is left as it is.
 */
export async function sendRuleSms(
  deps: Deps,
  sender: SmsSender,
  input: { conversationId: string; route: SmsRoute; text: string; cause: RuleCause },
  alongside: (tx: Transaction, messageId: string) => Promise<void> = async () => {},
) {
  const { route, cause } = input;
  const sent = await sender.send({ from: route.channel.phoneNumber, to: route.to, text: input.text, attachments: [] });
  return inTransaction(
    deps,
    async (tx, log) => {
      await lockRingCentralMessage(tx, sent.ringCentralId);
      const conversation = await tx.conversation.findUniqueOrThrow({
        where: { id: input.conversationId },
        include: conversationWithInboxes,
      });
      const message = await tx.message.create({
        data: {
          ringCentralId: sent.ringCentralId,
          conversationId: conversation.id,
          channelId: route.channel.id,
          direction: "OUTBOUND",
          status: sent.status,
          fromNumber: route.channel.phoneNumber,
          toNumber: route.to,
          text: input.text,
          ruleId: cause.ruleId,
          createdAt: sent.createdAt,
        },
      });
      await advanceLastActivity(tx, conversation.id, sent.createdAt);
      const event = messageEvent("MESSAGE_ADDED", conversation, message);
      log.append({ ...event, payload: { ...event.payload, ruleId: cause.ruleId } });
      await alongside(tx, message.id);
      return message;
    },
    cause,
  );
}
