import { builder } from "./builder.ts";
import { visibleAttachments, visibleMessages } from "../domain/access.ts";
import { viewerOf } from "./viewer.ts";

export const MessageDirectionEnum = builder.enumType("MessageDirection", {
  description: "Seen from the company.",
  values: { INBOUND: { description: "From a customer." }, OUTBOUND: { description: "Sent by an agent." } } as const,
});

export const MessageStatusEnum = builder.enumType("MessageStatus", {
  description: "Delivery status: inbound messages are RECEIVED; outbound go QUEUED → SENT → DELIVERED | FAILED.",
  values: {
    RECEIVED: { description: "An inbound message." },
    QUEUED: { description: "Accepted by RingCentral, not yet sent." },
    SENT: { description: "Sent to the carrier." },
    DELIVERED: { description: "Delivered to the phone." },
    FAILED: { description: "Delivery failed." },
  } as const,
});

export const MessageRef = builder.prismaNode("Message", {
  select: { id: true }, // only the columns a query asks for
  nullable: true,
  description: "An SMS or MMS.",
  id: { field: "id", description: "Global id." },
  findUnique: (id, ctx) => ({ id, AND: [visibleMessages(viewerOf(ctx))] }),
  fields: (t) => ({
    direction: t.expose("direction", { type: MessageDirectionEnum, description: "INBOUND or OUTBOUND." }),
    status: t.expose("status", { type: MessageStatusEnum, description: "Delivery status." }),
    fromNumber: t.exposeString("fromNumber", { description: "Sender, E.164." }),
    toNumber: t.exposeString("toNumber", { description: "Recipient, E.164." }),
    text: t.exposeString("text", { description: "The text, any Unicode." }),
    sentBy: t.relation("sentBy", { nullable: true, description: "The agent who sent it (outbound)." }),
    conversation: t.relation("conversation", { description: "Its conversation." }),
    attachments: t.relation("attachments", { description: "MMS attachments." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was sent or received." }),
  }),
});

export const AttachmentRef = builder.prismaNode("Attachment", {
  nullable: true,
  description: "An MMS attachment (image, video, …).",
  id: { field: "id", description: "Global id." },
  findUnique: (id, ctx) => ({ id, AND: [visibleAttachments(viewerOf(ctx))] }),
  fields: (t) => ({
    fileName: t.exposeString("fileName", { nullable: true, description: "Original file name." }),
    contentType: t.exposeString("contentType", { description: "MIME type." }),
    sizeBytes: t.exposeInt("sizeBytes", { nullable: true, description: "Size in bytes." }),
    message: t.relation("message", { description: "The message it came with." }),
  }),
});
