// Files the running package needs, resolved from the package root so `npx switchboard` works from
// any working directory.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const schemaPath = path.join(packageRoot, "prisma/schema.prisma");
export const migrationsDir = path.join(packageRoot, "prisma/migrations");
