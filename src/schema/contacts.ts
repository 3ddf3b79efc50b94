import { builder } from "./builder.ts";
import { viewerOf } from "./viewer.ts";
import { visibleContacts, visibleConversations } from "../domain/access.ts";

builder.prismaObject("ContactPhone", {
  select: { id: true },
  description: "A contact's phone number.",
  fields: (t) => ({
    number: t.exposeString("e164", { description: "The number, E.164." }),
    label: t.exposeString("label", { nullable: true, description: "e.g. mobile, work." }),
  }),
});

export const ContactRef = builder.prismaNode("Contact", {
  select: { id: true }, // only the columns a query asks for
  description: "A customer, matched to callers and senders by phone number.",
  id: { field: "id", description: "Global id." },
  nullable: true, // node(id:) of a missing or hidden row is null, not an error
  findUnique: (id, ctx) => ({ id, AND: [visibleContacts(viewerOf(ctx))] }),
  fields: (t) => ({
    name: t.exposeString("name", {
      nullable: true,
      description: "Name, as entered here (never copied from RingCentral).",
    }),
    email: t.exposeString("email", { nullable: true, description: "Email address." }),
    phoneNumbers: t.relation("phones", {
      description: "Phone numbers, E.164.",
      query: { orderBy: { createdAt: "asc" } },
    }),
    conversations: t.relatedConnection("conversations", {
      cursor: "id",
      description: "This contact's conversations you can see, most recent activity first.",
      query: (_args, ctx) => ({
        where: visibleConversations(viewerOf(ctx)),
        orderBy: [{ lastActivityAt: "desc" }, { id: "desc" }],
      }),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});
