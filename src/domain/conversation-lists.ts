// Finding conversations: filters in any combination, text search, three orders, keyset cursors,
// and the counts a sidebar shows. Filters are normalised and checked here, narrowed to what the
// viewer may see (src/domain/access.ts), and run as one SQL statement per page
// (src/store/conversation-lists.ts): the number of statements does not depend on the filters or on
// the page size.
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { CallStatus, ChannelType, ConversationStatus } from "../generated/prisma/enums.ts";
import { listableInboxIds, visibleInboxes, type Viewer } from "./access.ts";
import { InvalidInputError } from "./errors.ts";
import { requireE164 } from "./phone-numbers.ts";
import { isUuid } from "./tokens.ts";
import {
  conversationCountRows,
  conversationPage,
  MATCH_START,
  MATCH_STOP,
  searchHighlightRows,
  type ConversationCriteria,
  type ConversationOrder,
  type HighlightSource,
  type Keyset,
  type TextSearch,
  type TimeRange,
} from "../store/conversation-lists.ts";

export type { ConversationOrder, HighlightSource };

export interface DateRangeInput {
  from?: Date | null;
  to?: Date | null;
}

/** A conversation filter as a client gives it (ids are database ids); every given field must match. */
export interface ConversationFilterInput {
  inboxId?: string | null;
  inboxIds?: string[] | null;
  status?: ConversationStatus | null;
  assigneeId?: string | null;
  unassigned?: boolean | null;
  mine?: boolean | null;
  tags?: { any?: string[] | null; all?: string[] | null; none?: string[] | null } | null;
  channelIds?: string[] | null;
  channelType?: ChannelType | null;
  lastCallOutcome?: CallStatus[] | null;
  hasUnansweredInboundSms?: boolean | null;
  contactId?: string | null;
  phoneNumber?: string | null;
  createdBetween?: DateRangeInput | null;
  lastActivityBetween?: DateRangeInput | null;
  search?: string | null;
}

const SEARCH_MAX_LENGTH = 200;
const SEARCH_MAX_WORDS = 10;

/** The distinct words of a search, lower case; null for a blank search. */
function searchWords(text: string | null | undefined): string[] | null {
  const trimmed = text?.trim();
  if (!trimmed) return null;
  const field = "filter.search";
  if (trimmed.length > SEARCH_MAX_LENGTH)
    throw new InvalidInputError(`A search has at most ${SEARCH_MAX_LENGTH} characters`, field);
  const words = [
    ...new Set(
      trimmed
        .normalize("NFKC")
        .toLowerCase()
        .match(/[\p{L}\p{N}]+/gu) ?? [],
    ),
  ];
  if (words.length === 0) throw new InvalidInputError("The search has no letters or digits to look for", field);
  if (words.length > SEARCH_MAX_WORDS)
    throw new InvalidInputError(`A search has at most ${SEARCH_MAX_WORDS} words`, field);
  return words;
}

/**
 * Words as a tsquery: every word must match, each as the start of a word (what a person types is
 * often the start of what they look for). Only letters and digits remain in a word, so quoting
 * each is enough to keep tsquery syntax out.
 */
const tsqueryOf = (words: string[]) => words.map((word) => `'${word}':*`).join(" & ");

/** The words of a search as a tsquery; null for a blank search. */
export function searchQuery(text: string | null | undefined): string | null {
  const words = searchWords(text);
  return words && tsqueryOf(words);
}

/** An ASCII word of letters and digits is one word to PostgreSQL's parser too. */
const ONE_TOKEN = /^[a-z0-9]+$/;

function textSearch(text: string | null | undefined): TextSearch | null {
  const words = searchWords(text);
  if (!words) return null;
  return {
    query: tsqueryOf(words),
    // One text must have every word; a conversation's words alone settle that for one word only
    // (other letters may split a word in two for PostgreSQL, where their order matters).
    checkTexts: words.length > 1 || !ONE_TOKEN.test(words[0]!),
  };
}

function timeRange(range: DateRangeInput | null | undefined, field: string): TimeRange | null {
  if (!range || (!range.from && !range.to)) return null;
  if (range.from && range.to && range.from >= range.to)
    throw new InvalidInputError("`from` must be before `to`", field);
  return { from: range.from ?? null, to: range.to ?? null };
}

/** The inboxes asked for: `inboxIds`, narrowed to `inboxId` when both are given. */
function requestedInboxes(filter: ConversationFilterInput): string[] | null {
  if (!filter.inboxId) return filter.inboxIds ?? null;
  return filter.inboxIds ? filter.inboxIds.filter((id) => id === filter.inboxId) : [filter.inboxId];
}

function assigneeOf(viewer: Viewer, filter: ConversationFilterInput): string | null {
  if (!filter.mine) return filter.assigneeId ?? null;
  if (filter.assigneeId && filter.assigneeId !== viewer.id)
    throw new InvalidInputError("`mine` and `assigneeId` name different people", "filter.mine");
  return viewer.id;
}

/** A filter normalised (phone number to E.164, search to a query) and narrowed to what the viewer may see. */
export function criteriaFor(viewer: Viewer, filter: ConversationFilterInput): ConversationCriteria {
  const unique = (ids: string[] | null | undefined) => (ids ? [...new Set(ids)] : null);
  return {
    inboxIds: listableInboxIds(viewer, requestedInboxes(filter)),
    status: filter.status ?? null,
    assigneeId: assigneeOf(viewer, filter),
    unassigned: filter.unassigned === true,
    tags: {
      any: unique(filter.tags?.any),
      all: unique(filter.tags?.all) ?? [],
      none: unique(filter.tags?.none) ?? [],
    },
    channelIds: unique(filter.channelIds),
    channelType: filter.channelType ?? null,
    lastCallOutcomes: unique(filter.lastCallOutcome) as CallStatus[] | null,
    awaitingReply: filter.hasUnansweredInboundSms ?? null,
    contactId: filter.contactId ?? null,
    phoneNumber: filter.phoneNumber?.trim() ? requireE164(filter.phoneNumber, "filter.phoneNumber") : null,
    createdAt: timeRange(filter.createdBetween, "filter.createdBetween"),
    lastActivityAt: timeRange(filter.lastActivityBetween, "filter.lastActivityBetween"),
    search: textSearch(filter.search),
  };
}

/** A cursor: the order it belongs to and the position in it, opaque to clients. */
function encodeCursor(order: ConversationOrder, position: Keyset): string {
  return Buffer.from(JSON.stringify([order, position.key, position.id])).toString("base64url");
}

function decodeCursor(cursor: string | null | undefined, order: ConversationOrder, field: string): Keyset | null {
  if (cursor == null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  const [cursorOrder, key, id] = Array.isArray(parsed) ? parsed : [];
  // The key goes back to PostgreSQL as a timestamp: only its text form's characters pass.
  const validKey = typeof key === "string" && key.length <= 40 && /^[\w :.+-]+$/.test(key);
  if (cursorOrder !== order || !validKey || typeof id !== "string" || !isUuid(id))
    throw new InvalidInputError("Not a cursor of this list (in this order)", field);
  return { key, id };
}

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

function pageSize(args: PageArgs): { size: number; fromEnd: boolean } {
  if (args.first != null && args.last != null) throw new InvalidInputError("Give `first` or `last`, not both", "last");
  const size = args.last ?? args.first ?? DEFAULT_PAGE_SIZE;
  const field = args.last != null ? "last" : "first";
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE)
    throw new InvalidInputError(`A page has 0 to ${MAX_PAGE_SIZE} results`, field);
  return { size, fromEnd: args.last != null };
}

export interface ConversationPage<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * A page of the conversations the viewer may see that match the filter, in `order`: one statement
 * finds the ids, then `load` reads those rows (one more, however many relations it loads).
 */
export async function listConversations<T extends { id: string }>(
  prisma: PrismaClient,
  viewer: Viewer,
  input: { filter: ConversationFilterInput; order: ConversationOrder; page: PageArgs },
  load: (ids: string[]) => Promise<T[]>,
): Promise<ConversationPage<T>> {
  const { order, page } = input;
  const criteria = criteriaFor(viewer, input.filter);
  const { size, fromEnd } = pageSize(page);
  const after = decodeCursor(page.after, order, "after");
  const before = decodeCursor(page.before, order, "before");
  const found =
    size === 0 ? [] : await conversationPage(prisma, criteria, { order, after, before, limit: size + 1, fromEnd });
  const more = found.length > size;
  const positions = fromEnd ? found.slice(more ? 1 : 0) : found.slice(0, size);
  const rows = positions.length ? await load(positions.map((p) => p.id)) : [];
  const byId = new Map(rows.map((row) => [row.id, row]));
  const edges = positions.flatMap((p) => {
    const node = byId.get(p.id);
    // A conversation deleted between the two reads is left out rather than shown empty.
    return node ? [{ cursor: encodeCursor(order, p), node }] : [];
  });
  return {
    edges,
    pageInfo: {
      hasNextPage: fromEnd ? before !== null : more,
      hasPreviousPage: fromEnd ? more : after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

export interface TextRange {
  start: number;
  length: number;
}

export interface SearchHighlight {
  source: HighlightSource;
  /** The message, comment, contact or recording the text is from. */
  id: string;
  text: string;
  /** Where the words matched in `text`, in UTF-16 code units (as JavaScript strings count). */
  matches: TextRange[];
}

/** A fragment with its match marks taken out and recorded as ranges. */
export function markedFragment(fragment: string): { text: string; matches: TextRange[] } {
  let text = "";
  const matches: TextRange[] = [];
  let start: number | null = null;
  for (const char of fragment) {
    if (char === MATCH_START) start = text.length;
    else if (char === MATCH_STOP) {
      if (start !== null && text.length > start) matches.push({ start, length: text.length - start });
      start = null;
    } else text += char;
  }
  return { text, matches };
}

const HIGHLIGHTS_PER_CONVERSATION = 3;

/** Where a search matched in each of these conversations (one statement for all of them). */
export async function searchHighlights(
  prisma: PrismaClient,
  conversationIds: string[],
  search: string,
): Promise<Map<string, SearchHighlight[]>> {
  const query = searchQuery(search);
  const byConversation = new Map<string, SearchHighlight[]>();
  if (!query || conversationIds.length === 0) return byConversation;
  const rows = await searchHighlightRows(prisma, conversationIds, query, HIGHLIGHTS_PER_CONVERSATION);
  for (const row of rows) {
    const list = byConversation.get(row.conversationId) ?? [];
    list.push({ source: row.source, id: row.id, ...markedFragment(row.fragment) });
    byConversation.set(row.conversationId, list);
  }
  return byConversation;
}

const STATUSES: ConversationStatus[] = ["OPEN", "ARCHIVED"];

/**
 * How many conversations match, per status and per inbox (every inbox the viewer sees, or those
 * asked for, by name; zeros included): one statement for the counts, one for the inboxes.
 */
export async function countConversations(prisma: PrismaClient, viewer: Viewer, filter: ConversationFilterInput) {
  const criteria = criteriaFor(viewer, filter);
  const [rows, inboxes] = await Promise.all([
    conversationCountRows(prisma, criteria),
    prisma.inbox.findMany({
      where: { AND: [visibleInboxes(viewer), criteria.inboxIds ? { id: { in: criteria.inboxIds } } : {}] },
      orderBy: { name: "asc" },
    }),
  ]);
  const count = (axis: "STATUS" | "INBOX", key: string) =>
    rows.find((row) => row.axis === axis && row.key === key)?.count ?? 0;
  const byStatus = STATUSES.map((status) => ({ status, count: count("STATUS", status) }));
  return {
    total: byStatus.reduce((sum, s) => sum + s.count, 0),
    byStatus,
    byInbox: inboxes.map((inbox) => ({ inbox, count: count("INBOX", inbox.id) })),
  };
}
