// The event catalogue is a contract: the GraphQL enum and the README say exactly what
// src/domain/events.ts says, and an event outside it is refused before anything is written.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isEnumType } from "graphql";
import type { z } from "zod";
import { EVENT_CATALOGUE, EVENT_TYPES, type NewEvent } from "../src/domain/events.ts";
import { inTransaction } from "../src/domain/event-log.ts";
import { latestSequence } from "../src/store/event-log.ts";
import { schema } from "../src/schema/index.ts";
import { startTestApi, type TestApi } from "./support/api.ts";

/** A payload's fields as the README lists them: optional ones end with `?`. */
function fieldsOf(payload: z.ZodObject): string {
  return Object.entries(payload.shape)
    .map(([name, field]) => (field.safeParse(undefined).success ? `${name}?` : name))
    .join(", ");
}

/** The README's "Events" table, as the catalogue says it must read. */
function expectedTable(): string {
  const rows = EVENT_TYPES.map((type) => {
    const { description, payload } = EVENT_CATALOGUE[type];
    return `| \`${type}\` | ${fieldsOf(payload)} | ${description} |`;
  });
  return ["| type | payload | meaning |", "|---|---|---|", ...rows].join("\n");
}

describe("event catalogue", () => {
  it("is the GraphQL EventType enum, value for value, with the same descriptions", () => {
    const type = schema.getType("EventType");
    if (!isEnumType(type)) throw new Error("EventType is not an enum");
    const byName = (a: string[], b: string[]) => a[0]!.localeCompare(b[0]!);
    expect(
      type
        .getValues()
        .map((v) => [v.name, v.description ?? ""])
        .sort(byName),
    ).toEqual(EVENT_TYPES.map((t) => [t, EVENT_CATALOGUE[t].description]).sort(byName));
  });

  it("is the README's Events table, type for type and field for field", () => {
    const readme = fs.readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const start = readme.indexOf("\n## Events\n") + 1;
    const end = readme.indexOf("\n## ", start);
    const section = readme.slice(start, end === -1 ? undefined : end);
    const table = section.split("\n").filter((line) => line.startsWith("|"));
    expect(table.join("\n")).toBe(expectedTable());
  });

  describe("writing", () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi();
    });
    afterAll(async () => {
      await api.close();
    });

    it("refuses an event whose payload breaks its schema, and writes nothing of the transaction", async () => {
      const deps = { prisma: api.app.db.prisma, pubsub: api.app.pubsub };
      const before = await latestSequence(deps.prisma);
      const broken = { type: "CALL_UPDATED", payload: { callId: "c-1", status: "DANCING" } } as unknown as NewEvent;
      const valid: NewEvent = { type: "RINGCENTRAL_LOGIN_EXPIRED", payload: { userId: "u-1", state: "EXPIRED" } };
      await expect(
        inTransaction(deps, async (_tx, log) => {
          log.append(valid);
          log.append(broken);
        }),
      ).rejects.toThrow(/CALL_UPDATED breaks the event catalogue/);
      expect(await latestSequence(deps.prisma)).toBe(before);
      await inTransaction(deps, async (_tx, log) => log.append(valid));
      expect(await latestSequence(deps.prisma)).toBeGreaterThan(before);
    });
  });
});
