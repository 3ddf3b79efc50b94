// R9.1: the embedded default — PGlite data directory + in-memory pub/sub, no PostgreSQL or Redis —
// through HTTP and WebSocket, and its data survives a restart.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedConversation, seedInbox } from "./support/seed.ts";
import { ArchiveConversationDocument, ConversationEventsDocument, ViewerDocument } from "./generated/graphql.ts";

describe("embedded default (PGlite + in-memory pub/sub)", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-embedded-"));
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ database: null, dataDir, redis: null });
  });
  afterAll(async () => {
    await api?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs on a PGlite data directory with the migrations applied", async () => {
    expect(api.app.db.kind).toBe("pglite");
    const rows = await api.app.db.prisma.$queryRaw<{ count: bigint }[]>`SELECT count(*) FROM "_prisma_migrations"`;
    expect(Number(rows[0]!.count)).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dataDir, "PG_VERSION"))).toBe(true);
  });

  it("answers GraphQL over HTTP and delivers subscription events over WebSocket", async () => {
    const admin = await api.createUser("ADMIN", "local");
    const viewer = await api.request(ViewerDocument, {}, admin.token);
    expect(viewer.data?.viewer.email).toBe("local@example.com");

    const inbox = await seedInbox(api.app, "Front desk");
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id], customerNumber: "+442079460000" });
    const events = subscribe(api.wsClient(admin.token), ConversationEventsDocument, {
      inboxId: inbox.globalId,
      after: "0",
    });
    await events.until(1);
    await api.request(ArchiveConversationDocument, { conversationId: conversation.globalId }, admin.token);
    const received = await events.until(2);
    expect(received.map((e) => e.data?.conversationEvents.type)).toEqual([
      "CONVERSATION_CREATED",
      "CONVERSATION_ARCHIVED",
    ]);
    events.unsubscribe();
  });

  it("keeps its data across a restart on the same directory", async () => {
    const before = await api.app.db.prisma.user.count();
    await api.close();
    api = await startTestApi({ database: null, dataDir, redis: null });
    expect(await api.app.db.prisma.user.count()).toBe(before);
  });
});
