// Which messages a request sees: the caller's extension's, filtered and ordered as the message
// store list and message sync read them.

import type { SimContext, SimRequest } from "../core.ts";
import { store, type StoredMessage } from "./store.ts";

export function ownMessages(ctx: SimContext, req: SimRequest): StoredMessage[] {
  const accountId = req.auth?.accountId ?? req.params.accountId;
  const extensionId = req.params.extensionId;
  return [...store(ctx).messages.values()].filter((m) => m.accountId === accountId && m.extensionId === extensionId);
}

export function messageOfRequest(ctx: SimContext, req: SimRequest): StoredMessage | undefined {
  return ownMessages(ctx, req).find((m) => m.id === req.params.messageId && m.availability === "Alive");
}

interface MessageFilter {
  types: string[];
  directions: string[];
  dateFrom?: Date;
  dateTo?: Date;
  conversationId?: string;
  readStatus: string[];
}

export function messageFilterOf(query: URLSearchParams): MessageFilter {
  const dateFrom = query.get("dateFrom");
  const dateTo = query.get("dateTo");
  return {
    types: query.getAll("messageType"),
    directions: query.getAll("direction"),
    dateFrom: dateFrom ? new Date(dateFrom) : undefined,
    dateTo: dateTo ? new Date(dateTo) : undefined,
    conversationId: query.get("conversationId") ?? undefined,
    readStatus: query.getAll("readStatus"),
  };
}

export function matches(filter: MessageFilter, m: StoredMessage): boolean {
  return (
    m.availability === "Alive" &&
    (filter.types.length === 0 || filter.types.includes(m.type)) &&
    (filter.directions.length === 0 || filter.directions.includes(m.direction)) &&
    (!filter.dateFrom || m.creationTime >= filter.dateFrom) &&
    (!filter.dateTo || m.creationTime <= filter.dateTo) &&
    (!filter.conversationId || m.conversationId === filter.conversationId) &&
    (filter.readStatus.length === 0 || filter.readStatus.includes(m.readStatus))
  );
}

export function newestFirst(a: StoredMessage, b: StoredMessage): number {
  return b.creationTime.getTime() - a.creationTime.getTime() || Number(b.id) - Number(a.id);
}
