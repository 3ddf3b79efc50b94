// Contacts (R5.1, R5.3) through the API: E.164 normalisation, search from any format, typed input
// errors that write nothing, edits, merge and pagination. Plus unit tests of the phone-number rules.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId, startTestApi, type TestApi } from "./support/api.ts";
import { seedConversation, seedInbox } from "./support/seed.ts";
import {
  AddContactPhoneDocument,
  ContactNodeDocument,
  ContactsPageDocument,
  CreateContactFullDocument,
  MergeContactsFullDocument,
  RemoveContactPhoneDocument,
  UpdateContactDocument,
  type ContactsPageQuery,
} from "./generated/graphql.ts";
import type { ExecutionResult } from "graphql";
import { regionOf, requireE164, toE164 } from "../src/domain/phone-numbers.ts";
import { InvalidInputError } from "../src/domain/errors.ts";

describe("phone numbers (unit)", () => {
  it("reads US national formats in the default region as the same E.164 number", () => {
    for (const input of [
      "(650) 555-0100",
      "650.555.0100",
      "650-555-0100",
      "6505550100",
      "1 650 555 0100",
      "+1 (650) 555-0100",
      " +16505550100 ",
    ]) {
      expect(toE164(input), input).toBe("+16505550100");
    }
  });

  it("reads national numbers in a non-US default region", () => {
    expect(toE164("020 7946 0958", "GB")).toBe("+442079460958");
    expect(toE164("030 123456", "DE")).toBe("+4930123456");
    // The same UK national number is not a valid US number.
    expect(toE164("020 7946 0958")).toBeNull();
    // International input ignores the default region.
    expect(toE164("+44 20 7946 0958", "US")).toBe("+442079460958");
    expect(toE164("+1 650 555 0100", "GB")).toBe("+16505550100");
  });

  it("returns null for invalid numbers", () => {
    for (const input of ["", "   ", "12345", "555-0100", "not a number", "+1 650 555 01000", "0650 555 0100"]) {
      expect(toE164(input), input).toBeNull();
    }
  });

  it("rejects text that only contains a phone number somewhere", () => {
    for (const input of ["call 650 555 0100 now", "6505550100x", "650 555 0100 / 650 555 0101"]) {
      expect(toE164(input), input).toBeNull();
    }
  });

  it("requireE164 returns E.164 and throws an InvalidInputError naming the field", () => {
    expect(requireE164("650.555.0100", "phone.number")).toBe("+16505550100");
    expect(requireE164("020 7946 0958", "phone.number", "GB")).toBe("+442079460958");
    let error: unknown;
    try {
      requireE164("020 7946 0958", "phoneNumbers.2.number");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", field: "phoneNumbers.2.number" });
    expect((error as Error).message).toContain("020 7946 0958");
  });

  it("regionOf gives the country of an E.164 number", () => {
    expect(regionOf("+442079460958")).toBe("GB");
    expect(regionOf("+16505550100")).toBe("US");
  });
});

describe("contacts through the API", () => {
  let api: TestApi;
  let admin: { token: string };
  let agent: { token: string };

  const counts = async () => {
    const prisma = api.app.db.prisma;
    const [contacts, phones, conversations] = await Promise.all([
      prisma.contact.count(),
      prisma.contactPhone.count(),
      prisma.conversation.count(),
    ]);
    return { contacts, phones, conversations };
  };

  async function createContact(name: string | null, numbers: { number: string; label?: string }[], email?: string) {
    const result = await api.request(CreateContactFullDocument, { name, email, phoneNumbers: numbers }, admin.token);
    expect(result.errors).toBeUndefined();
    const payload = result.data!.createContact;
    if (payload.__typename !== "ContactPayload") throw new Error(`createContact failed: ${JSON.stringify(payload)}`);
    return payload.contact;
  }

  const search = async (text: string, token = admin.token) => {
    const result = await api.request(ContactsPageDocument, { search: text, first: 50 }, token);
    expect(result.errors).toBeUndefined();
    return result.data!.contacts.edges.map((e) => e.node);
  };

  beforeAll(async () => {
    api = await startTestApi();
    admin = await api.createUser("ADMIN", "root");
    agent = await api.createUser("AGENT", "agent");
  });
  afterAll(() => api.close());

  it("creates a contact with several numbers in different formats, stored as E.164 with labels", async () => {
    const contact = await createContact(
      "Ada Lovelace",
      [
        { number: "(650) 555-0100", label: "mobile" },
        { number: "415.555.2671", label: " work " },
        { number: "+44 20 7946 0958" },
      ],
      " ada@example.com ",
    );
    expect(contact.name).toBe("Ada Lovelace");
    expect(contact.email).toBe("ada@example.com");
    expect(contact.phoneNumbers).toEqual([
      { number: "+16505550100", label: "mobile" },
      { number: "+14155552671", label: "work" },
      { number: "+442079460958", label: null },
    ]);
    const stored = await api.app.db.prisma.contactPhone.findMany({
      where: { contact: { name: "Ada Lovelace" } },
      orderBy: { e164: "asc" },
    });
    expect(stored.map((p) => p.e164)).toEqual(["+14155552671", "+16505550100", "+442079460958"]);
  });

  it("finds the same person from any common phone format and from part of the name or email", async () => {
    const ada = (await search("Ada Lovelace"))[0]!;
    expect(ada).toBeDefined();
    for (const format of [
      "(650) 555-0100",
      "650.555.0100",
      "+16505550100",
      "6505550100",
      "650-555-0100",
      "+1 650 555 0100",
    ]) {
      const found = await search(format);
      expect(
        found.map((c) => c.id),
        format,
      ).toEqual([ada.id]);
    }
    expect((await search("lovel")).map((c) => c.id)).toEqual([ada.id]);
    expect((await search("ADA")).map((c) => c.id)).toContain(ada.id);
    expect((await search("ada@exa")).map((c) => c.id)).toEqual([ada.id]);
    // Agents can search contacts too.
    expect((await search("650.555.0100", agent.token)).map((c) => c.id)).toEqual([ada.id]);
    expect(await search("+1 212 555 0199")).toEqual([]);
  });

  it("rejects an invalid number with BAD_USER_INPUT naming the input and writes nothing", async () => {
    const before = await counts();
    const result = await api.request(
      CreateContactFullDocument,
      { name: "Nobody", phoneNumbers: [{ number: "+1 415 555 2672" }, { number: "12345" }] },
      admin.token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.createContact).toMatchObject({
      __typename: "InvalidInputError",
      code: "BAD_USER_INPUT",
      field: "phoneNumbers.1.number",
    });
    const garbage = await api.request(
      CreateContactFullDocument,
      { name: "Nobody", phoneNumbers: [{ number: "call 650 555 0177 now" }] },
      admin.token,
    );
    expect(garbage.data!.createContact).toMatchObject({
      __typename: "InvalidInputError",
      field: "phoneNumbers.0.number",
    });
    const email = await api.request(
      CreateContactFullDocument,
      { name: "Nobody", email: "not-an-email", phoneNumbers: [{ number: "212 555 0177" }] },
      admin.token,
    );
    expect(email.data!.createContact).toMatchObject({
      __typename: "InvalidInputError",
      code: "BAD_USER_INPUT",
      field: "email",
    });
    expect(await counts()).toEqual(before);
    expect(await search("Nobody")).toEqual([]);
  });

  it("rejects a number already owned by another contact with a ConflictError and writes nothing", async () => {
    const before = await counts();
    const result = await api.request(
      CreateContactFullDocument,
      { name: "Impostor", phoneNumbers: [{ number: "+1 212 555 0150" }, { number: "650 555 0100" }] },
      admin.token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.createContact).toMatchObject({
      __typename: "ConflictError",
      code: "CONFLICT",
      field: "phoneNumbers.1.number",
    });
    expect((result.data!.createContact as { message: string }).message).toContain("+16505550100");
    expect(await counts()).toEqual(before);
  });

  it("gives concurrent creations of the same number one contact and ConflictErrors, never an internal error", async () => {
    const before = await counts();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.request(
          CreateContactFullDocument,
          { name: `Racer ${i}`, phoneNumbers: [{ number: "(212) 555-0123" }] },
          admin.token,
        ),
      ),
    );
    for (const result of results) expect(result.errors).toBeUndefined();
    const kinds = results.map((r) => r.data!.createContact.__typename).sort();
    expect(kinds).toEqual([
      "ConflictError",
      "ConflictError",
      "ConflictError",
      "ConflictError",
      "ConflictError",
      "ContactPayload",
    ]);
    expect(await counts()).toEqual({ ...before, contacts: before.contacts + 1, phones: before.phones + 1 });
  });

  it("updates a contact's name and email, null clears them, and invalid values are rejected", async () => {
    const contact = await createContact("Grace", [{ number: "212 555 0101" }]);
    const renamed = await api.request(
      UpdateContactDocument,
      { contactId: contact.id, name: "  Grace Hopper ", email: "grace@example.com" },
      agent.token,
    );
    expect(renamed.data!.updateContact).toMatchObject({
      __typename: "ContactPayload",
      contact: { id: contact.id, name: "Grace Hopper", email: "grace@example.com" },
    });
    const nameOnly = await api.request(
      UpdateContactDocument,
      { contactId: contact.id, name: "G. Hopper" },
      admin.token,
    );
    expect(nameOnly.data!.updateContact).toMatchObject({ contact: { name: "G. Hopper", email: "grace@example.com" } });
    const cleared = await api.request(UpdateContactDocument, { contactId: contact.id, email: null }, admin.token);
    expect(cleared.data!.updateContact).toMatchObject({ contact: { name: "G. Hopper", email: null } });
    const tooLong = await api.request(
      UpdateContactDocument,
      { contactId: contact.id, name: "x".repeat(201) },
      admin.token,
    );
    expect(tooLong.data!.updateContact).toMatchObject({
      __typename: "InvalidInputError",
      code: "BAD_USER_INPUT",
      field: "name",
    });
    const badEmail = await api.request(
      UpdateContactDocument,
      { contactId: contact.id, email: "grace at example" },
      admin.token,
    );
    expect(badEmail.data!.updateContact).toMatchObject({
      __typename: "InvalidInputError",
      code: "BAD_USER_INPUT",
      field: "email",
    });
    expect((await api.app.db.prisma.contact.findUniqueOrThrow({ where: { id: dbId(contact.id) } })).name).toBe(
      "G. Hopper",
    );
  });

  it("adds and removes phone numbers in any format", async () => {
    const contact = await createContact("Linus", [{ number: "212 555 0102" }]);
    const added = await api.request(
      AddContactPhoneDocument,
      { contactId: contact.id, phone: { number: "(212) 555-0103", label: "home" } },
      admin.token,
    );
    expect(added.data!.addContactPhone).toMatchObject({
      __typename: "ContactPayload",
      contact: {
        phoneNumbers: [
          { number: "+12125550102", label: null },
          { number: "+12125550103", label: "home" },
        ],
      },
    });
    expect((await search("212.555.0103")).map((c) => c.id)).toEqual([contact.id]);

    // Adding a number the contact already has changes only its label.
    const relabelled = await api.request(
      AddContactPhoneDocument,
      { contactId: contact.id, phone: { number: "+12125550103", label: "cell" } },
      admin.token,
    );
    expect(relabelled.data!.addContactPhone).toMatchObject({
      contact: { phoneNumbers: [{ number: "+12125550102" }, { number: "+12125550103", label: "cell" }] },
    });

    const removed = await api.request(
      RemoveContactPhoneDocument,
      { contactId: contact.id, number: "212-555-0102" },
      admin.token,
    );
    expect(removed.data!.removeContactPhone).toMatchObject({
      contact: { phoneNumbers: [{ number: "+12125550103", label: "cell" }] },
    });
    expect(await search("2125550102")).toEqual([]);
  });

  it("rejects bad numbers in addContactPhone and removeContactPhone naming their argument, and a taken number with a ConflictError", async () => {
    const contact = await createContact("Margaret", [{ number: "212 555 0104" }]);
    const before = await counts();
    const invalid = await api.request(
      AddContactPhoneDocument,
      { contactId: contact.id, phone: { number: "555" } },
      admin.token,
    );
    expect(invalid.data!.addContactPhone).toMatchObject({
      __typename: "InvalidInputError",
      code: "BAD_USER_INPUT",
      field: "phone.number",
    });
    const taken = await api.request(
      AddContactPhoneDocument,
      { contactId: contact.id, phone: { number: "650.555.0100" } },
      admin.token,
    );
    expect(taken.data!.addContactPhone).toMatchObject({
      __typename: "ConflictError",
      code: "CONFLICT",
      field: "phone.number",
    });
    const invalidRemove = await api.request(
      RemoveContactPhoneDocument,
      { contactId: contact.id, number: "nope" },
      admin.token,
    );
    expect(invalidRemove.data!.removeContactPhone).toMatchObject({ __typename: "InvalidInputError", field: "number" });
    // Removing another contact's number through this contact changes nothing.
    const foreign = await api.request(
      RemoveContactPhoneDocument,
      { contactId: contact.id, number: "+16505550100" },
      admin.token,
    );
    expect(foreign.data!.removeContactPhone).toMatchObject({ __typename: "ContactPayload" });
    expect(await counts()).toEqual(before);
    expect((await search("6505550100")).map((c) => c.name)).toEqual(["Ada Lovelace"]);
  });

  it("returns NOT_FOUND for a contact that does not exist", async () => {
    const missing = globalId("Contact", crypto.randomUUID());
    const updated = await api.request(UpdateContactDocument, { contactId: missing, name: "x" }, admin.token);
    expect(updated.data!.updateContact).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    const added = await api.request(
      AddContactPhoneDocument,
      { contactId: missing, phone: { number: "212 555 0199" } },
      admin.token,
    );
    expect(added.data!.addContactPhone).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    expect(await api.app.db.prisma.contactPhone.count({ where: { e164: "+12125550199" } })).toBe(0);
  });

  it("merges contacts: numbers and conversations move to the target and the source is deleted", async () => {
    await api.createUser("AGENT", "merger");
    const inbox = await seedInbox(api.app, "Merge inbox");
    const target = await createContact("Target Person", [{ number: "212 555 0110" }]);
    const source = await createContact(
      null,
      [{ number: "212 555 0111" }, { number: "212 555 0112" }],
      "source@example.com",
    );
    const targetConversation = await seedConversation(api.app, {
      inboxIds: [inbox.id],
      customerNumber: "+12125550110",
    });
    const sourceConversations = [
      await seedConversation(api.app, { inboxIds: [inbox.id], customerNumber: "+12125550111" }),
      await seedConversation(api.app, { inboxIds: [inbox.id], customerNumber: "+12125550112" }),
    ];
    const before = await counts();

    const result = await api.request(
      MergeContactsFullDocument,
      { targetId: target.id, sourceId: source.id },
      admin.token,
    );
    expect(result.errors).toBeUndefined();
    const merged = result.data!.mergeContacts;
    if (merged.__typename !== "ContactPayload") throw new Error(JSON.stringify(merged));
    expect(merged.contact.id).toBe(target.id);
    expect(merged.contact.name).toBe("Target Person");
    expect(merged.contact.email).toBe("source@example.com");
    expect(merged.contact.phoneNumbers.map((p) => p.number).sort()).toEqual([
      "+12125550110",
      "+12125550111",
      "+12125550112",
    ]);
    expect(merged.contact.conversations.edges.map((e) => e.node.id).sort()).toEqual(
      [targetConversation.globalId, ...sourceConversations.map((c) => c.globalId)].sort(),
    );
    expect(await counts()).toEqual({ ...before, contacts: before.contacts - 1 });

    const gone = await api.request(ContactNodeDocument, { id: source.id }, admin.token);
    expect(gone.errors).toBeUndefined();
    expect(gone.data!.node).toBeNull();
    expect((await search("212.555.0111")).map((c) => c.id)).toEqual([target.id]);

    const again = await api.request(
      MergeContactsFullDocument,
      { targetId: target.id, sourceId: source.id },
      admin.token,
    );
    expect(again.data!.mergeContacts).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
  });

  it("refuses to merge a contact into itself with BAD_USER_INPUT and writes nothing", async () => {
    const contact = await createContact("Selfie", [{ number: "212 555 0120" }]);
    const before = await counts();
    const result = await api.request(
      MergeContactsFullDocument,
      { targetId: contact.id, sourceId: contact.id },
      admin.token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.mergeContacts).toMatchObject({
      __typename: "InvalidInputError",
      code: "BAD_USER_INPUT",
      field: "sourceId",
    });
    expect(await counts()).toEqual(before);
    const still = await api.request(ContactNodeDocument, { id: contact.id }, admin.token);
    expect(still.data!.node).toMatchObject({ __typename: "Contact", name: "Selfie" });
  });

  it("pages through contacts with first/after in name order", async () => {
    const names = ["Page E", "Page B", "Page D", "Page A", "Page C"];
    for (const [i, name] of names.entries()) await createContact(name, [{ number: `212 555 013${i}` }]);
    const seen: string[] = [];
    let after: string | null | undefined = null;
    let pages = 0;
    for (;;) {
      const result: ExecutionResult<ContactsPageQuery> = await api.request(
        ContactsPageDocument,
        { search: "Page ", first: 2, after },
        admin.token,
      );
      expect(result.errors).toBeUndefined();
      const connection = result.data!.contacts;
      seen.push(...connection.edges.map((e) => e.node.name!));
      pages += 1;
      if (!connection.pageInfo.hasNextPage) break;
      expect(connection.edges).toHaveLength(2);
      after = connection.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(["Page A", "Page B", "Page C", "Page D", "Page E"]);
  });
});

/** The database id inside a global id. */
function dbId(id: string): string {
  return Buffer.from(id, "base64").toString("utf8").split(":")[1]!;
}
