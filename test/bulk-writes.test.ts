// The set-wise deletes find their rows through the key's index: the analytics consumer deletes the
// facts of every call a pass touched, in tables that hold a year of facts, and call ingest deletes the
// events it routed. (A key compared as text, as it once was, can only be found by reading the table.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client.ts";
import type { Database } from "../src/db.ts";
import { deleteRows } from "../src/store/bulk-writes.ts";
import { openTestDatabase } from "./support/database.ts";

describe("set-wise deletes", () => {
  let db: Database;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestDatabase());
  });
  afterAll(() => close());

  it.each([
    ["AnalyticsCall", "callId"],
    ["AnalyticsCallAgent", "callId"],
    ["AnalyticsMessage", "messageId"],
    ["AnalyticsConversation", "conversationId"],
    ["AnalyticsCsat", "csatResponseId"],
    ["UnroutedCallEvent", "id"],
  ])("of %s by %s use its index", async (table, key) => {
    const remove = deleteRows(table, key, [crypto.randomUUID(), crypto.randomUUID()])!;
    const plan = await db.prisma.$transaction(async (tx) => {
      // Empty tables: the planner would read them whole anyway, unless told a table read costs most.
      await tx.$executeRaw`SET LOCAL enable_seqscan = off`;
      return tx.$queryRaw<{ "QUERY PLAN": string }[]>(Prisma.sql`EXPLAIN ${remove}`);
    });
    const text = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(text).not.toMatch(/Seq Scan/);
    expect(text).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
  });
});
