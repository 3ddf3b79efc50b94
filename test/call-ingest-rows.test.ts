// The Call and CallParty column lists of call ingest's set-wise reads and writes
// (src/store/call-ingest/rows.ts) against Prisma's datamodel and the migrated database: a column
// added to the schema and forgotten there, or given the wrong type, fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { getDatamodel } from "../src/generated/pothos-prisma-types.ts";
import { pgConfigFromUrl } from "../src/db.ts";
import type { ColumnType } from "../src/store/bulk-writes.ts";
import { CALL_COLUMN_TYPES, PARTY_COLUMN_TYPES } from "../src/store/call-ingest/rows.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

const ROW_SHAPES: Record<string, Record<string, ColumnType>> = {
  Call: CALL_COLUMN_TYPES,
  CallParty: PARTY_COLUMN_TYPES,
};

/** The column types the datamodel allows for a field (it does not say which strings are uuids). */
function typesFor(field: { kind: string; type: string }): ColumnType[] {
  if (field.kind === "enum") return [`enum:${field.type}`];
  const byScalar: Record<string, ColumnType[]> = {
    String: ["text", "uuid"],
    Int: ["integer"],
    Boolean: ["boolean"],
    DateTime: ["timestamp"],
    Json: ["jsonb"],
  };
  return byScalar[field.type] ?? [];
}

/** PostgreSQL's name (information_schema udt_name) of each column type. */
const UDT_NAMES: Record<string, string> = {
  uuid: "uuid",
  text: "text",
  integer: "int4",
  boolean: "bool",
  timestamp: "timestamp",
  jsonb: "jsonb",
};
const udtName = (type: ColumnType) => (type.startsWith("enum:") ? type.slice("enum:".length) : UDT_NAMES[type]);

describe("call ingest's row shapes", () => {
  for (const [model, columns] of Object.entries(ROW_SHAPES)) {
    it(`${model}: a column for every scalar field but updatedAt (the database's), of an allowed type`, () => {
      const { fields: all } = getDatamodel().datamodel.models[model]!;
      const fields = all.filter((f) => f.kind !== "object" && !f.isUpdatedAt);
      expect(Object.keys(columns).sort()).toEqual(fields.map((f) => f.name).sort());
      for (const field of fields) expect(typesFor(field), field.name).toContain(columns[field.name]);
    });
  }

  describe("in the migrated database", () => {
    let database: TestDatabase;
    let client: pg.Client;
    beforeAll(async () => {
      database = await createTestDatabase();
      client = new pg.Client(pgConfigFromUrl(database.url));
      await client.connect();
    });
    afterAll(async () => {
      await client.end();
      await database.drop();
    });

    for (const [model, columns] of Object.entries(ROW_SHAPES)) {
      it(`${model}: every column exists with the type the writes cast to`, async () => {
        const { rows } = await client.query<{ column_name: string; udt_name: string }>(
          `SELECT column_name, udt_name FROM information_schema.columns
           WHERE table_schema = 'public' AND table_name = $1`,
          [model],
        );
        const actual = Object.fromEntries(rows.map((r) => [r.column_name, r.udt_name]));
        const expected = Object.fromEntries(Object.entries(columns).map(([name, type]) => [name, udtName(type)]));
        expect(Object.fromEntries(Object.keys(columns).map((name) => [name, actual[name]]))).toEqual(expected);
      });
    }
  });
});
