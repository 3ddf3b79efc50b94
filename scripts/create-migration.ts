// `npm run db:migration -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql with
// the SQL that takes the existing migrations to prisma/schema.prisma (a shadow database replays
// them). Uses DATABASE_URL when set, otherwise an in-memory PGlite.
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { createMigration } from "../src/migrations.ts";
import { openDatabase } from "../src/db.ts";

const name = process.argv[2];
if (!name) {
  console.error("usage: npm run db:migration -- <name>");
  process.exit(2);
}
const adapter = process.env.DATABASE_URL
  ? (await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: "" })).migrationAdapter()
  : new PrismaPGlite(new PGlite());
const dir = await createMigration(adapter, name);
console.log(dir ? `created ${dir}` : "no changes: the schema matches the migrations");
process.exit(0);
