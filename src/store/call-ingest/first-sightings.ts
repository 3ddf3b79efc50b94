// Idempotency of call ingest: each RingCentral notification uuid is applied once.
import type { Prisma } from "../../generated/prisma/client.ts";
import { callSessionLocksQuery } from "../locks.ts";

/**
 * Records the uuids and returns those not seen before; in the same statement, takes the locks of
 * the sessions (their own and their peers': a consultation call waits for its peer's in-flight
 * transaction rather than be buffered with nothing left to route it later).
 */
export async function recordFirstSightingsLocking(
  tx: Prisma.TransactionClient,
  uuids: string[],
  telephonySessionIds: string[],
): Promise<Set<string>> {
  const rows = await tx.$queryRaw<{ uuid: string }[]>`
    WITH locked AS (${callSessionLocksQuery(telephonySessionIds)})
    INSERT INTO "ProcessedNotification" ("uuid")
    SELECT u FROM unnest(${uuids}::text[]) AS u, (SELECT count(*) FROM locked) AS l
    ON CONFLICT DO NOTHING RETURNING "uuid"`;
  return new Set(rows.map((r) => r.uuid));
}
