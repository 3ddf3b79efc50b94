// Tags: a shared vocabulary for conversations.
import type { PrismaClient } from "../generated/prisma/client.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";

function cleanTagName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 50) throw new InvalidInputError("A tag name needs 1 to 50 characters", "name");
  return trimmed;
}

function cleanColor(color: string | null | undefined): string | null {
  if (color == null || color === "") return null;
  if (!/^#[0-9a-f]{6}$/i.test(color)) throw new InvalidInputError("A colour is written #rrggbb", "color");
  return color.toLowerCase();
}

export async function createTag(prisma: PrismaClient, input: { name: string; color?: string | null }) {
  const name = cleanTagName(input.name);
  if (await prisma.tag.findUnique({ where: { name } })) throw new ConflictError(`A tag named "${name}" exists`, "name");
  return prisma.tag.create({ data: { name, color: cleanColor(input.color) } });
}

export async function deleteTag(prisma: PrismaClient, tagId: string) {
  const tag = await prisma.tag.findUnique({ where: { id: tagId } });
  if (!tag) throw new NotFoundError("Tag");
  await prisma.tag.delete({ where: { id: tagId } });
  return tag;
}
