// Keeps the analytics facts and rollup current: recomputes the facts of the entities a change
// touched and the rollups where they count, before and after. The same path rebuilds everything.
import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import {
  analyzeRollups,
  clearAnalytics,
  countSources,
  idsAfter,
  loadCalls,
  loadConversations,
  loadCsat,
  loadExtensionUsers,
  loadMessages,
  recountRollups,
  insertFactRows,
  replaceFactsInRollups,
  writeAnalyticsCursor,
  type Facts,
  type Touched,
} from "../../store/analytics.ts";
import { latestSequence } from "../../store/event-log.ts";
import { lockAnalytics } from "../../store/locks.ts";
import { callAgentFacts, callFact, conversationFact, csatFact, messageFact } from "./facts.ts";

type Db = PrismaClient | Prisma.TransactionClient;

export const ANALYTICS_CURSOR = "analytics";

async function factsOf(db: Db, touched: Touched, extensionUsers: Map<string, string>): Promise<Facts> {
  const [calls, messages, conversations, csat] = await Promise.all([
    loadCalls(db, touched.callIds),
    loadMessages(db, touched.messageIds),
    loadConversations(db, touched.conversationIds),
    loadCsat(db, touched.csatIds),
  ]);
  const facts: Facts = { calls: [], callAgents: [], messages: [], conversations: [], csat: [] };
  for (const { call, parties } of calls) {
    const rows = parties.map((p) => ({
      ...p,
      userId: p.extensionId ? (extensionUsers.get(p.extensionId) ?? null) : null,
    }));
    const fact = callFact(call, rows);
    facts.calls.push(fact);
    facts.callAgents.push(...callAgentFacts(fact, rows));
  }
  facts.messages = messages.map(messageFact);
  facts.conversations = conversations.map(conversationFact);
  facts.csat = csat.flatMap((r) => csatFact(r) ?? []);
  return facts;
}

/** Recomputes the touched entities' facts, and the rollups where they count, then or now. */
export async function refreshAnalytics(db: Db, touched: Touched, extensionUsers?: Map<string, string>): Promise<void> {
  const users = extensionUsers ?? (await loadExtensionUsers(db));
  await replaceFactsInRollups(db, touched, await factsOf(db, touched, users));
}

const REBUILD_BATCH = 2000;
const SOURCES = [
  ["Call", "callIds"],
  ["Message", "messageIds"],
  ["Conversation", "conversationIds"],
  ["CsatResponse", "csatIds"],
] as const;

const NOTHING: Touched = { callIds: [], messageIds: [], conversationIds: [], csatIds: [] };

/**
 * Rebuilds the facts and the rollup from the stored calls, messages, conversations and answers (the
 * rows the event log's events are about), in one transaction under the analytics lock, and moves
 * the consumer's cursor to the log's end as of the start: a change committed meanwhile is read again
 * by the consumer, which recomputes it (recomputing is idempotent).
 */
export async function rebuildAnalytics(
  prisma: PrismaClient,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<{ rows: number }> {
  return prisma.$transaction(
    async (tx) => {
      await lockAnalytics(tx);
      await writeAnalyticsCursor(tx, ANALYTICS_CURSOR, await latestSequence(tx as PrismaClient));
      const total = await countSources(tx);
      const users = await loadExtensionUsers(tx);
      await clearAnalytics(tx);
      let done = 0;
      onProgress(0, total);
      for (const [table, key] of SOURCES) {
        let after = "00000000-0000-0000-0000-000000000000";
        for (;;) {
          const ids = await idsAfter(tx, table, after, REBUILD_BATCH);
          if (ids.length === 0) break;
          const touched = { ...NOTHING, [key]: ids };
          await insertFactRows(tx, await factsOf(tx, touched, users));
          done += ids.length;
          onProgress(done, total);
          after = ids.at(-1)!;
        }
      }
      await recountRollups(tx, null);
      // Without statistics the planner guesses a month of rollup rows badly (twice the time).
      await analyzeRollups(tx);
      return { rows: done };
    },
    { timeout: 24 * 3_600_000, maxWait: 60_000 },
  );
}
