// Where a message goes (R4.3): a new message from a channel to a number or a contact, or a reply
// on a conversation's channel to its customer — each checked against what the viewer may see.
import type { Channel, Contact, PrismaClient } from "../../generated/prisma/client.ts";
import { visibleContacts, type Viewer } from "../access.ts";
import { requireUsableChannel } from "../channels.ts";
import { requireVisibleConversation, type ConversationWithInboxes } from "../conversations.ts";
import { InvalidInputError, NotFoundError } from "../errors.ts";
import { regionOf, requireE164, toE164 } from "../phone-numbers.ts";

/** Either `conversationId` (a reply) or `channelId` with `to` or `contactId` (a new message). */
export interface Recipient {
  /** A new message: from this channel to `to` or `contactId`. */
  channelId?: string | null;
  /** A reply: on the conversation's channel to its customer. */
  conversationId?: string | null;
  to?: string | null;
  contactId?: string | null;
}

export interface SendTarget {
  channel: Channel;
  /** E.164. */
  to: string;
  contact: Contact | null;
  /** Set for replies. */
  conversation: ConversationWithInboxes | null;
}

export function sendTargetFor(prisma: PrismaClient, viewer: Viewer, recipient: Recipient): Promise<SendTarget> {
  return recipient.conversationId
    ? replyTarget(prisma, viewer, recipient.conversationId, recipient)
    : newMessageTarget(prisma, viewer, recipient);
}

function requireSendableChannel(prisma: PrismaClient, viewer: Viewer, channelId: string): Promise<Channel> {
  return requireUsableChannel(prisma, viewer, channelId, "SMS", "This channel is not an SMS channel");
}

/** The customer's number in a conversation: the other side of its last message, else the contact's first number. */
async function customerNumberOf(
  prisma: PrismaClient,
  conversation: ConversationWithInboxes,
  channel: Channel,
): Promise<string | null> {
  const last = await prisma.message.findFirst({
    where: { conversationId: conversation.id },
    orderBy: { createdAt: "desc" },
  });
  const fromMessages = last ? (last.direction === "INBOUND" ? last.fromNumber : last.toNumber) : null;
  const fromContact = conversation.contactId ? await firstNumberOf(prisma, conversation.contactId) : null;
  const number = fromMessages ?? fromContact ?? null;
  return number ? toE164(number, regionOf(channel.phoneNumber)) : null;
}

async function firstNumberOf(prisma: PrismaClient, contactId: string): Promise<string | undefined> {
  const phone = await prisma.contactPhone.findFirst({ where: { contactId }, orderBy: { createdAt: "asc" } });
  return phone?.e164;
}

async function replyTarget(
  prisma: PrismaClient,
  viewer: Viewer,
  conversationId: string,
  recipient: Recipient,
): Promise<SendTarget> {
  if (recipient.channelId || recipient.to || recipient.contactId) {
    throw new InvalidInputError(
      "A reply goes to the conversation's customer: leave out channelId, to and contactId",
      "conversationId",
    );
  }
  const conversation = await requireVisibleConversation(prisma, viewer, conversationId);
  const channel = conversation.channelId
    ? await prisma.channel.findUnique({ where: { id: conversation.channelId } })
    : null;
  if (channel?.type !== "SMS") {
    throw new InvalidInputError("This conversation has no SMS channel to reply on", "conversationId");
  }
  if (channel.disconnectedAt) {
    throw new InvalidInputError("This conversation's SMS channel is disconnected", "conversationId");
  }
  const to = await customerNumberOf(prisma, conversation, channel);
  if (!to) throw new InvalidInputError("This conversation has no customer phone number to reply to", "conversationId");
  const contact = conversation.contactId
    ? await prisma.contact.findUnique({ where: { id: conversation.contactId } })
    : null;
  return { channel, to, contact, conversation };
}

async function newMessageTarget(prisma: PrismaClient, viewer: Viewer, recipient: Recipient): Promise<SendTarget> {
  if (!recipient.channelId) {
    throw new InvalidInputError("Give the channel to send from (or a conversation to reply in)", "channelId");
  }
  if (recipient.to && recipient.contactId) {
    throw new InvalidInputError("Give either a number or a contact, not both", "to");
  }
  if (!recipient.to && !recipient.contactId) {
    throw new InvalidInputError("A recipient is required: a number or a contact", "to");
  }
  const channel = await requireSendableChannel(prisma, viewer, recipient.channelId);
  if (recipient.to) {
    const to = requireE164(recipient.to, "to", regionOf(channel.phoneNumber));
    const phone = await prisma.contactPhone.findUnique({ where: { e164: to }, include: { contact: true } });
    return { channel, to, contact: phone?.contact ?? null, conversation: null };
  }
  const contact = await prisma.contact.findFirst({
    where: { AND: [{ id: recipient.contactId! }, visibleContacts(viewer)] },
    include: { phones: { orderBy: { createdAt: "asc" } } },
  });
  if (!contact) throw new NotFoundError("Contact");
  const phone = contact.phones[0];
  if (!phone) throw new InvalidInputError("This contact has no phone number", "contactId");
  return { channel, to: phone.e164, contact, conversation: null };
}
