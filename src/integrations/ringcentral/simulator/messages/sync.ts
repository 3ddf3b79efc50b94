// Message sync: FSync returns the matching messages and a token; ISync returns what changed since.

import type { SimContext, SimRequest, SimResponse } from "../core.ts";
import { invalidValue } from "../scoped-state.ts";
import { matches, messageFilterOf, newestFirst, ownMessages } from "./queries.ts";
import { store, type StoredMessage } from "./store.ts";
import { messageView } from "./views.ts";

interface SyncToken {
  extensionId: string;
  changeSeq: number;
  types: string[];
  directions: string[];
}

function encodeSyncToken(token: SyncToken): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function decodeSyncToken(raw: string | null): SyncToken | undefined {
  if (!raw) return undefined;
  try {
    const token = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as SyncToken;
    return typeof token.changeSeq === "number" && typeof token.extensionId === "string" ? token : undefined;
  } catch {
    return undefined;
  }
}

export function messageSync(req: SimRequest, ctx: SimContext): SimResponse {
  const syncType = req.query.get("syncType") ?? "FSync";
  if (syncType !== "FSync" && syncType !== "ISync") return invalidValue("syncType");
  const recordCount = req.query.get("recordCount");
  const limit = recordCount === null ? 250 : Number(recordCount);
  if (!Number.isInteger(limit) || limit < 1) return invalidValue("recordCount");
  const own = ownMessages(ctx, req);
  const extensionId = req.params.extensionId ?? "";
  let records: StoredMessage[];
  let token: SyncToken;
  if (syncType === "FSync") {
    const filter = messageFilterOf(req.query);
    token = { extensionId, changeSeq: store(ctx).changeSeq, types: filter.types, directions: filter.directions };
    records = own.filter((m) => matches(filter, m)).sort(newestFirst);
  } else {
    const previous = decodeSyncToken(req.query.get("syncToken"));
    if (!previous || previous.extensionId !== extensionId) return invalidValue("syncToken");
    // ISync includes deleted messages (availability tells the client) that changed after the token.
    records = own
      .filter((m) => m.changeSeq > previous.changeSeq)
      .filter((m) => previous.types.length === 0 || previous.types.includes(m.type))
      .filter((m) => previous.directions.length === 0 || previous.directions.includes(m.direction))
      .sort(newestFirst);
    token = { ...previous, changeSeq: store(ctx).changeSeq };
  }
  const olderRecordsExist = records.length > limit;
  return {
    status: 200,
    json: {
      uri: `${ctx.baseUrl()}${req.path}`,
      records: records.slice(0, limit).map((m) => messageView(ctx, m)),
      syncInfo: { syncType, syncToken: encodeSyncToken(token), syncTime: ctx.now().toISOString(), olderRecordsExist },
    },
  };
}
