import { builder } from "../schema/builder.ts";
import { viewerOf } from "../schema/viewer.ts";
import { visibleContacts } from "../domain/access.ts";
import { ContactRef } from "../schema/contacts.ts";
import { ContactPayload } from "../schema/payloads.ts";
import {
  addContactPhone,
  contactSearchWhere,
  createContact,
  mergeContacts,
  removeContactPhone,
  updateContact,
} from "../domain/contacts.ts";

const ContactPhoneInput = builder.inputType("ContactPhoneInput", {
  description: "A phone number in any common format; stored as E.164.",
  fields: (t) => ({
    number: t.string({ required: true, description: "e.g. (650) 555-0100, 650.555.0100 or +16505550100." }),
    label: t.string({ required: false, description: "e.g. mobile, work." }),
  }),
});

builder.queryFields((t) => ({
  contacts: t.prismaConnection({
    type: "Contact",
    cursor: "id",
    description:
      "Contacts you can see, by name: the shared address book and the customers of your inboxes' conversations. " +
      "`search` matches part of a name or email, or a phone number in any format.",
    args: { search: t.arg.string({ required: false, description: "Name, email or phone number." }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.contact.findMany({
        ...query,
        where: { AND: [visibleContacts(viewerOf(ctx)), contactSearchWhere(args.search)] },
        orderBy: [{ name: "asc" }, { id: "asc" }],
      }),
  }),
}));

builder.mutationFields((t) => {
  const contactId = (description = "The contact.") => t.arg.globalID({ for: ContactRef, required: true, description });
  return {
    createContact: t.field({
      type: ContactPayload,
      description: "Create a contact in the shared address book (everyone sees it).",
      errors: {},
      args: {
        name: t.arg.string({ required: false, description: "Name." }),
        email: t.arg.string({ required: false, description: "Email." }),
        phoneNumbers: t.arg({ type: [ContactPhoneInput], required: false, description: "Phone numbers." }),
      },
      resolve: async (_root, args, ctx) => ({ contact: await createContact(ctx.prisma, args) }),
    }),
    updateContact: t.field({
      type: ContactPayload,
      description: "Change a contact's name or email (null clears).",
      errors: {},
      args: {
        contactId: contactId(),
        name: t.arg.string({ required: false, description: "New name." }),
        email: t.arg.string({ required: false, description: "New email." }),
      },
      resolve: async (_root, args, ctx) => ({
        contact: await updateContact(ctx.prisma, viewerOf(ctx), args.contactId.id, {
          name: args.name,
          email: args.email,
        }),
      }),
    }),
    addContactPhone: t.field({
      type: ContactPayload,
      description: "Add a phone number to a contact.",
      errors: {},
      args: {
        contactId: contactId(),
        phone: t.arg({ type: ContactPhoneInput, required: true, description: "The number." }),
      },
      resolve: async (_root, args, ctx) => ({
        contact: await addContactPhone(ctx.prisma, viewerOf(ctx), args.contactId.id, args.phone),
      }),
    }),
    removeContactPhone: t.field({
      type: ContactPayload,
      description: "Remove a phone number from a contact.",
      errors: {},
      args: {
        contactId: contactId(),
        number: t.arg.string({ required: true, description: "The number, any format." }),
      },
      resolve: async (_root, args, ctx) => ({
        contact: await removeContactPhone(ctx.prisma, viewerOf(ctx), args.contactId.id, args.number),
      }),
    }),
    mergeContacts: t.field({
      type: ContactPayload,
      description: "Merge the source contact into the target: numbers and conversations move, the source is deleted.",
      errors: {},
      args: { targetId: contactId("The contact that stays."), sourceId: contactId("The contact merged away.") },
      resolve: async (_root, args, ctx) => ({
        contact: await mergeContacts(ctx.prisma, viewerOf(ctx), args.targetId.id, args.sourceId.id),
      }),
    }),
  };
});
