// Contacts (R5): several phone numbers each, matched by E.164; search by name or any phone format;
// merge. Who sees which contact: src/domain/access.ts (visibleContacts).
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { visibleContacts, type Viewer } from "./access.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import { requireE164, toE164 } from "./phone-numbers.ts";
import { normalizeEmail } from "./users.ts";
import { isUniqueViolation } from "../store/unique-violations.ts";

export interface ContactPhoneInput {
  number: string;
  label?: string | null;
}

function cleanName(name: string | null | undefined): string | null {
  const trimmed = name?.trim();
  if (trimmed && trimmed.length > 200) throw new InvalidInputError("A contact name has at most 200 characters", "name");
  return trimmed || null;
}

function cleanEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim();
  return trimmed ? normalizeEmail(trimmed) : null;
}

/** Normalised numbers (duplicates dropped), each with the input field it came from. */
function normalizePhones(phones: ContactPhoneInput[], fieldOf: (index: number) => string) {
  const seen = new Set<string>();
  return phones.flatMap((phone, index) => {
    const field = fieldOf(index);
    const e164 = requireE164(phone.number, field);
    if (seen.has(e164)) return [];
    seen.add(e164);
    return [{ e164, label: phone.label?.trim() || null, field }];
  });
}

async function ensurePhonesFree(
  prisma: PrismaClient,
  phones: { e164: string; field: string }[],
  exceptContactId?: string,
) {
  const taken = await prisma.contactPhone.findFirst({
    where: {
      e164: { in: phones.map((p) => p.e164) },
      ...(exceptContactId ? { contactId: { not: exceptContactId } } : {}),
    },
  });
  if (taken) {
    const field = phones.find((p) => p.e164 === taken.e164)!.field;
    throw new ConflictError(`${taken.e164} already belongs to another contact`, field);
  }
}

/** Runs a write that may lose a race for a number to a concurrent one: that is a conflict, not a crash. */
async function writingPhones<T>(
  prisma: PrismaClient,
  phones: { e164: string; field: string }[],
  exceptContactId: string | undefined,
  write: () => Promise<T>,
) {
  await ensurePhonesFree(prisma, phones, exceptContactId);
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) await ensurePhonesFree(prisma, phones, exceptContactId);
    throw error;
  }
}

/** A contact created by hand joins the shared address book (source MANUAL): everyone sees it. */
export async function createContact(
  prisma: PrismaClient,
  input: { name?: string | null; email?: string | null; phoneNumbers?: ContactPhoneInput[] | null },
) {
  const phones = normalizePhones(input.phoneNumbers ?? [], (index) => `phoneNumbers.${index}.number`);
  const name = cleanName(input.name);
  const email = cleanEmail(input.email);
  return writingPhones(prisma, phones, undefined, () =>
    prisma.contact.create({
      data: {
        name,
        email,
        source: "MANUAL",
        phones: { create: phones.map(({ e164, label }) => ({ e164, label })) },
      },
    }),
  );
}

export async function updateContact(
  prisma: PrismaClient,
  viewer: Viewer,
  contactId: string,
  input: { name?: string | null; email?: string | null },
) {
  await requireContact(prisma, viewer, contactId);
  return prisma.contact.update({
    where: { id: contactId },
    data: {
      ...(input.name !== undefined ? { name: cleanName(input.name) } : {}),
      ...(input.email !== undefined ? { email: cleanEmail(input.email) } : {}),
    },
  });
}

/** The contact when the viewer may see it; a hidden one is as missing. */
async function requireContact(prisma: PrismaClient, viewer: Viewer, contactId: string) {
  const contact = await prisma.contact.findFirst({ where: { AND: [{ id: contactId }, visibleContacts(viewer)] } });
  if (!contact) throw new NotFoundError("Contact");
  return contact;
}

export async function addContactPhone(
  prisma: PrismaClient,
  viewer: Viewer,
  contactId: string,
  phone: ContactPhoneInput,
) {
  await requireContact(prisma, viewer, contactId);
  const { e164, label, field } = normalizePhones([phone], () => "phone.number")[0]!;
  await writingPhones(prisma, [{ e164, field }], contactId, async () => {
    // Only this contact's own row may be relabelled; a number someone else took meanwhile conflicts.
    const relabelled = await prisma.contactPhone.updateMany({ where: { e164, contactId }, data: { label } });
    if (relabelled.count === 0) await prisma.contactPhone.create({ data: { contactId, e164, label } });
  });
  return requireContact(prisma, viewer, contactId);
}

export async function removeContactPhone(prisma: PrismaClient, viewer: Viewer, contactId: string, number: string) {
  await requireContact(prisma, viewer, contactId);
  const e164 = requireE164(number, "number");
  await prisma.contactPhone.deleteMany({ where: { contactId, e164 } });
  return requireContact(prisma, viewer, contactId);
}

/**
 * Moves the source's phone numbers and conversations to the target, then deletes the source. Both
 * must be visible to the viewer; the result is in the shared address book if either was.
 */
export async function mergeContacts(prisma: PrismaClient, viewer: Viewer, targetId: string, sourceId: string) {
  if (targetId === sourceId) throw new InvalidInputError("A contact cannot be merged into itself", "sourceId");
  return prisma.$transaction(async (tx) => {
    const visible = (id: string) => tx.contact.findFirst({ where: { AND: [{ id }, visibleContacts(viewer)] } });
    const [target, source] = await Promise.all([visible(targetId), visible(sourceId)]);
    if (!target) throw new NotFoundError("Contact");
    if (!source) throw new NotFoundError("Contact");
    await tx.contactPhone.updateMany({ where: { contactId: sourceId }, data: { contactId: targetId } });
    await tx.conversation.updateMany({ where: { contactId: sourceId }, data: { contactId: targetId } });
    await tx.contact.delete({ where: { id: sourceId } });
    return tx.contact.update({
      where: { id: targetId },
      data: {
        name: target.name ?? source.name,
        email: target.email ?? source.email,
        source: target.source === "MANUAL" || source.source === "MANUAL" ? "MANUAL" : "AUTOMATIC",
      },
    });
  });
}

/** Finds contacts by part of a name or email, or by a phone number in any common format. */
export function contactSearchWhere(query: string | null | undefined): Prisma.ContactWhereInput {
  const text = query?.trim();
  if (!text) return {};
  const e164 = toE164(text);
  const digits = text.replace(/\D/g, "");
  return {
    OR: [
      { name: { contains: text, mode: "insensitive" } },
      { email: { contains: text, mode: "insensitive" } },
      ...(e164 ? [{ phones: { some: { e164 } } }] : []),
      ...(digits.length >= 3 ? [{ phones: { some: { e164: { contains: digits } } } }] : []),
    ],
  };
}

/** The contact owning a number, created when none does (R5.2: never named from RingCentral). */
export async function findOrCreateContactByNumber(tx: Prisma.TransactionClient, e164: string) {
  const phone = await tx.contactPhone.findUnique({ where: { e164 }, include: { contact: true } });
  if (phone) return phone.contact;
  return tx.contact.create({ data: { phones: { create: { e164 } } } });
}
