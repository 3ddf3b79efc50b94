// Statements that keep coming back are prepared once per PostgreSQL connection (src/db.ts
// PreparedStatementNames), on a real PostgreSQL through Prisma's pg adapter.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, PreparedStatementNames, type Database } from "../src/db.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

describe("PreparedStatementNames", () => {
  it("names a text the second time it is sent, and the same text always the same name", () => {
    const names = new PreparedStatementNames(10);
    expect(names.nameOf("SELECT 1")).toBe("");
    const name = names.nameOf("SELECT 1");
    expect(name).toMatch(/^switchboard_\d+$/);
    expect(names.nameOf("SELECT 1")).toBe(name);
    expect(names.nameOf("SELECT 2")).toBe("");
    expect(names.nameOf("SELECT 2")).not.toBe(name);
  });

  it("names at most `limit` texts; the rest stay unnamed", () => {
    const names = new PreparedStatementNames(2);
    const named = ["a", "b", "c"].map((sql) => {
      names.nameOf(sql);
      return names.nameOf(sql);
    });
    expect(named[0]).not.toBe("");
    expect(named[1]).not.toBe("");
    expect(named[2]).toBe("");
    expect(names.nameOf("a")).toBe(named[0]);
  });

  it("forgets texts sent once when too many never came back, so memory stays bounded", () => {
    const names = new PreparedStatementNames(1);
    names.nameOf("kept");
    for (let i = 0; i < 10; i++) names.nameOf(`one-off ${i}`);
    expect(names.nameOf("kept")).toBe(""); // its first sending was forgotten
    expect(names.nameOf("kept")).not.toBe("");
  });
});

describe("prepared statements on PostgreSQL", () => {
  let testDb: TestDatabase;
  const opened: Database[] = [];
  const open = async (preparedStatements: number) => {
    // One connection, so the catalog query sees the statements of the same session.
    const db = await openDatabase({ databaseUrl: testDb.url, dataDir: "", poolSize: 1, preparedStatements });
    opened.push(db);
    return db;
  };
  const prepared = async (db: Database) =>
    (
      await db.prisma.$queryRaw<
        { name: string; statement: string }[]
      >`SELECT name, statement FROM pg_prepared_statements ORDER BY name`
    ).filter((s) => s.name.startsWith("switchboard_"));

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const setup = await open(0);
    await setup.prisma.inbox.create({ data: { name: "Front desk" } });
  });
  afterAll(async () => {
    for (const db of opened) await db.close();
    await testDb?.drop();
  });

  it("prepares a repeated Prisma query once on its connection and keeps answering it", async () => {
    const db = await open(50);
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await db.prisma.inbox.findMany({ where: { name: "Front desk" }, select: { name: true } }));
    expect(answers).toEqual(Array(4).fill([{ name: "Front desk" }]));
    const statements = await prepared(db);
    expect(
      statements.filter((s) => s.statement.includes('"public"."Inbox"') && s.statement.includes("SELECT")),
    ).toHaveLength(1);
  });

  it("prepares nothing when the setting is 0", async () => {
    const db = await open(0);
    for (let i = 0; i < 3; i++) await db.prisma.inbox.findMany({ where: { name: "Front desk" } });
    expect(await prepared(db)).toEqual([]);
  });

  it("runs queries past the limit unprepared, with the same results", async () => {
    const db = await open(1);
    for (let i = 0; i < 3; i++) {
      expect(await db.prisma.inbox.count({ where: { name: "Front desk" } })).toBe(1);
      expect(await db.prisma.inbox.findFirst({ where: { name: "Front desk" }, select: { name: true } })).toEqual({
        name: "Front desk",
      });
    }
    expect(await prepared(db)).toHaveLength(1);
  });
});
