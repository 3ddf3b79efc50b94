// Conversation lists, counts and text search in SQL: one statement for a page of ids in any filter
// combination and order (keyset-paginated), one for the counts, one for a page's search highlights.
// The criteria arrive normalised and access-checked (src/domain/conversation-lists.ts).
//
// Text search is PostgreSQL's own, in the 'simple' configuration: a conversation's words (its
// messages, comments, transcriptions and contact name) are kept in one document per conversation,
// ConversationSearch, by triggers (migration 20261205023353_conversation_search_document), under
// one GIN index; a page's highlights and the check below read only that page's texts.
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import type { CallStatus, ChannelType, ConversationStatus } from "../generated/prisma/enums.ts";

const sql = Prisma.sql;
const TEXT_SEARCH_CONFIG = Prisma.raw("'simple'::regconfig");

export interface TimeRange {
  /** Inclusive. */
  from: Date | null;
  /** Exclusive. */
  to: Date | null;
}

/** What a conversation list is narrowed by; every given criterion must hold. */
export interface ConversationCriteria {
  /** In one of these inboxes; null: any inbox. */
  inboxIds: string[] | null;
  status: ConversationStatus | null;
  assigneeId: string | null;
  unassigned: boolean;
  /** On one of `any` (null: no condition), on every one of `all`, on none of `none`. */
  tags: { any: string[] | null; all: string[]; none: string[] };
  /** Started on one of these channels. */
  channelIds: string[] | null;
  /** Started on a channel of this type. */
  channelType: ChannelType | null;
  /** Its most recent call ended with one of these. */
  lastCallOutcomes: CallStatus[] | null;
  /** true: its most recent message is from the customer; false: it is not (or there is none). */
  awaitingReply: boolean | null;
  contactId: string | null;
  /** E.164: the contact has this number. */
  phoneNumber: string | null;
  createdAt: TimeRange | null;
  lastActivityAt: TimeRange | null;
  /** Matched against messages, comments, the contact's name and transcriptions: one of them has every word. */
  search: TextSearch | null;
}

export interface TextSearch {
  /** A tsquery: an AND of prefix terms, one a word. */
  query: string;
  /** Whether the conversation's words having them all is not enough: one of its texts must. */
  checkTexts: boolean;
}

export type ConversationOrder = "LAST_ACTIVITY" | "CREATED" | "WAITING_LONGEST";

/** A position in a list: the order's value (PostgreSQL's text form of a timestamp, or `infinity`) and the id. */
export interface Keyset {
  key: string;
  id: string;
}

export interface PageRequest {
  order: ConversationOrder;
  after: Keyset | null;
  before: Keyset | null;
  /** Rows to read (a page and one more, to tell whether another follows). */
  limit: number;
  /** Read from the end (`last`): rows come back in the list's order all the same. */
  fromEnd: boolean;
}

const tsquery = (query: string) => sql`to_tsquery(${TEXT_SEARCH_CONFIG}, ${query})`;
const matches = (column: Prisma.Sql, query: string) =>
  sql`to_tsvector(${TEXT_SEARCH_CONFIG}, ${column}) @@ ${tsquery(query)}`;

/**
 * Conversations whose document has every word: every match, and only matches unless the texts are
 * checked too (textCheck). The document keeps no word positions, so a word PostgreSQL splits in
 * two (a phrase in the query) is looked for as both parts.
 */
const documentMatches = (query: string) =>
  sql`c.id IN (SELECT cs."conversationId" FROM "ConversationSearch" cs
    WHERE cs.document @@ replace(${tsquery(query)}::text, '<->', '&')::tsquery)`;

/**
 * The conversation `id` has one text with every word. A document has every word of several when
 * they come from different texts too, so a search of several words checks its texts as well, only
 * for the rows a page reads.
 */
function oneTextMatches(id: Prisma.Sql, query: string): Prisma.Sql {
  return sql`(EXISTS (SELECT 1 FROM "Message" m WHERE m."conversationId" = ${id} AND ${matches(sql`m."text"`, query)})
      OR EXISTS (SELECT 1 FROM "Comment" co WHERE co."conversationId" = ${id} AND ${matches(sql`co."body"`, query)})
      OR EXISTS (SELECT 1 FROM "Recording" r JOIN "Call" ca ON ca.id = r."callId"
        WHERE ca."conversationId" = ${id} AND ${matches(sql`r."transcription"`, query)})
      OR EXISTS (SELECT 1 FROM "Conversation" named JOIN "Contact" ct ON ct.id = named."contactId"
        WHERE named.id = ${id} AND ${matches(sql`ct."name"`, query)}))`;
}

const lastCallStatus = sql`(SELECT ca.status FROM "Call" ca WHERE ca."conversationId" = c.id
  ORDER BY ca."createdAt" DESC LIMIT 1)`;
const lastMessageDirection = sql`(SELECT m.direction FROM "Message" m WHERE m."conversationId" = c.id
  ORDER BY m."createdAt" DESC, m.id DESC LIMIT 1)`;

/**
 * When the customer started waiting: their first message or unanswered call (missed, abandoned,
 * voicemail) since the team last answered — an outbound message or call, or an answered call.
 * Null when nothing waits.
 */
const waitingSince = sql`(SELECT min(inbound.at) FROM (
    SELECT m."createdAt" AS at FROM "Message" m WHERE m."conversationId" = c.id AND m.direction = 'INBOUND'
    UNION ALL SELECT ca."createdAt" FROM "Call" ca WHERE ca."conversationId" = c.id AND ca.direction = 'INBOUND'
      AND ca.status IN ('MISSED', 'ABANDONED', 'VOICEMAIL')
  ) inbound WHERE inbound.at > COALESCE((SELECT max(reply.at) FROM (
    SELECT m."createdAt" AS at FROM "Message" m WHERE m."conversationId" = c.id AND m.direction = 'OUTBOUND'
    UNION ALL SELECT ca."createdAt" FROM "Call" ca WHERE ca."conversationId" = c.id AND ca.direction = 'OUTBOUND'
    UNION ALL SELECT ca."answeredAt" FROM "Call" ca WHERE ca."conversationId" = c.id AND ca."answeredAt" IS NOT NULL
  ) reply), '-infinity'::timestamp))`;

function inRange(column: Prisma.Sql, range: TimeRange | null): Prisma.Sql[] {
  if (!range) return [];
  return [
    ...(range.from ? [sql`${column} >= ${range.from.toISOString()}::timestamp`] : []),
    ...(range.to ? [sql`${column} < ${range.to.toISOString()}::timestamp`] : []),
  ];
}

/** The criteria as SQL conditions on `c` ("Conversation"); the inbox condition is left to the caller. */
function conditions(criteria: ConversationCriteria): Prisma.Sql[] {
  const { tags } = criteria;
  return [
    ...(criteria.status ? [sql`c.status = ${criteria.status}::"ConversationStatus"`] : []),
    ...(criteria.assigneeId ? [sql`c."assigneeId" = ${criteria.assigneeId}::uuid`] : []),
    ...(criteria.unassigned ? [sql`c."assigneeId" IS NULL`] : []),
    ...(tags.any
      ? [
          sql`EXISTS (SELECT 1 FROM "ConversationTag" t WHERE t."conversationId" = c.id
            AND t."tagId" = ANY(${tags.any}::uuid[]))`,
        ]
      : []),
    ...(tags.all.length
      ? [
          sql`(SELECT count(*) FROM "ConversationTag" t WHERE t."conversationId" = c.id
            AND t."tagId" = ANY(${tags.all}::uuid[])) = ${tags.all.length}`,
        ]
      : []),
    ...(tags.none.length
      ? [
          sql`NOT EXISTS (SELECT 1 FROM "ConversationTag" t WHERE t."conversationId" = c.id
            AND t."tagId" = ANY(${tags.none}::uuid[]))`,
        ]
      : []),
    ...(criteria.channelIds ? [sql`c."channelId" = ANY(${criteria.channelIds}::uuid[])`] : []),
    ...(criteria.channelType
      ? [sql`c."channelId" IN (SELECT ch.id FROM "Channel" ch WHERE ch.type = ${criteria.channelType}::"ChannelType")`]
      : []),
    ...(criteria.lastCallOutcomes ? [sql`${lastCallStatus} = ANY(${criteria.lastCallOutcomes}::"CallStatus"[])`] : []),
    ...(criteria.awaitingReply === true ? [sql`${lastMessageDirection} = 'INBOUND'`] : []),
    ...(criteria.awaitingReply === false ? [sql`${lastMessageDirection} IS DISTINCT FROM 'INBOUND'`] : []),
    ...(criteria.contactId ? [sql`c."contactId" = ${criteria.contactId}::uuid`] : []),
    ...(criteria.phoneNumber
      ? [sql`c."contactId" IN (SELECT p."contactId" FROM "ContactPhone" p WHERE p.e164 = ${criteria.phoneNumber})`]
      : []),
    ...inRange(sql`c."createdAt"`, criteria.createdAt),
    ...inRange(sql`c."lastActivityAt"`, criteria.lastActivityAt),
    ...(criteria.search ? [documentMatches(criteria.search.query)] : []),
  ];
}

const inInboxes = (inboxIds: string[]) =>
  sql`EXISTS (SELECT 1 FROM "ConversationInbox" i WHERE i."conversationId" = c.id AND i."inboxId" = ANY(${inboxIds}::uuid[]))`;

const allOf = (parts: Prisma.Sql[]) => (parts.length ? Prisma.join(parts, " AND ") : sql`TRUE`);

/**
 * Where a list is read from, and the value it is ordered by. One inbox by last activity reads that
 * inbox's own index (ConversationInbox keeps each conversation's last activity for this), so a
 * page stops after its rows instead of sorting every match; anything else reads the conversations.
 */
function source(criteria: ConversationCriteria, order: ConversationOrder) {
  const oneInbox = order === "LAST_ACTIVITY" && criteria.inboxIds?.length === 1 ? criteria.inboxIds[0]! : null;
  if (oneInbox !== null)
    return {
      from: sql`"ConversationInbox" ci JOIN "Conversation" c ON c.id = ci."conversationId"`,
      // The same range on the inbox's copy of last activity, which its index can serve.
      where: [
        sql`ci."inboxId" = ${oneInbox}::uuid`,
        ...inRange(sql`ci."lastActivityAt"`, criteria.lastActivityAt),
        ...conditions(criteria),
      ],
      key: sql`ci."lastActivityAt"`,
    };
  const key = {
    LAST_ACTIVITY: sql`c."lastActivityAt"`,
    CREATED: sql`c."createdAt"`,
    WAITING_LONGEST: sql`COALESCE(${waitingSince}, 'infinity'::timestamp)`,
  }[order];
  const scope = criteria.inboxIds ? [inInboxes(criteria.inboxIds)] : [];
  return { from: sql`"Conversation" c`, where: [...scope, ...conditions(criteria)], key };
}

/** Whether a list runs from the smallest value up (waiting longest) or from the latest down. */
const ascending = (order: ConversationOrder) => order === "WAITING_LONGEST";

/** Rows strictly beyond `position` in the direction `up`; the bound on the key alone lets an index on it serve. */
function beyond(position: Keyset, up: boolean): Prisma.Sql {
  const key = sql`${position.key}::timestamp`;
  const id = sql`${position.id}::uuid`;
  return up
    ? sql`s.k >= ${key} AND (s.k, s.id) > (${key}, ${id})`
    : sql`s.k <= ${key} AND (s.k, s.id) < (${key}, ${id})`;
}

/** The check of a search's texts, when the document alone does not settle it (several words). */
function textCheck(criteria: ConversationCriteria): ((id: Prisma.Sql) => Prisma.Sql) | null {
  const search = criteria.search;
  return search?.checkTexts ? (id) => oneTextMatches(id, search.query) : null;
}

/** A page of conversation ids and their positions, in the list's order. */
export async function conversationPage(
  prisma: PrismaClient,
  criteria: ConversationCriteria,
  page: PageRequest,
): Promise<Keyset[]> {
  const { from, where, key } = source(criteria, page.order);
  const up = ascending(page.order);
  const bounds = [...(page.after ? [beyond(page.after, up)] : []), ...(page.before ? [beyond(page.before, !up)] : [])];
  const readUp = up !== page.fromEnd;
  const direction = Prisma.raw(readUp ? "ASC" : "DESC");
  const order = sql`ORDER BY s.k ${direction}, s.id ${direction}`;
  const matching = sql`SELECT c.id, ${key} AS k FROM ${from} WHERE ${allOf(where)}`;
  const check = textCheck(criteria);
  // A check of the texts runs on the matches in order until the page is full: OFFSET 0 keeps
  // PostgreSQL from running it on every match before ordering them.
  const rows = await prisma.$queryRaw<Keyset[]>(
    check
      ? sql`SELECT s.id::text AS id, s.k::text AS key FROM (
          SELECT s.id, s.k FROM (${matching}) s WHERE ${allOf(bounds)} ${order} OFFSET 0
        ) s WHERE ${check(sql`s.id`)} ${order} LIMIT ${page.limit}`
      : sql`SELECT s.id::text AS id, s.k::text AS key FROM (${matching}) s WHERE ${allOf(bounds)}
          ${order} LIMIT ${page.limit}`,
  );
  return page.fromEnd ? rows.reverse() : rows;
}

export interface CountRow {
  axis: "STATUS" | "INBOX";
  key: string;
  count: number;
}

/**
 * Matching conversations per status, and per inbox among `inboxIds` (every inbox when null), in
 * one statement. A conversation in two inboxes counts once per inbox and once in its status.
 */
export function conversationCountRows(prisma: PrismaClient, criteria: ConversationCriteria): Promise<CountRow[]> {
  const scope = criteria.inboxIds ? [inInboxes(criteria.inboxIds)] : [];
  const check = textCheck(criteria);
  const checked = check ? [check(sql`c.id`)] : [];
  const countedInboxes = criteria.inboxIds ? sql`ci."inboxId" = ANY(${criteria.inboxIds}::uuid[])` : sql`TRUE`;
  return prisma.$queryRaw<CountRow[]>`
    WITH matched AS (
      SELECT c.id, c.status FROM "Conversation" c WHERE ${allOf([...scope, ...conditions(criteria), ...checked])}
    )
    SELECT 'STATUS' AS axis, m.status::text AS key, count(*)::int AS count FROM matched m GROUP BY m.status
    UNION ALL
    SELECT 'INBOX', ci."inboxId"::text, count(*)::int FROM matched m
      JOIN "ConversationInbox" ci ON ci."conversationId" = m.id
      WHERE ${countedInboxes} GROUP BY ci."inboxId"`;
}

export type HighlightSource = "MESSAGE" | "COMMENT" | "CONTACT_NAME" | "TRANSCRIPTION";

export interface HighlightRow {
  conversationId: string;
  source: HighlightSource;
  /** The message, comment, contact or recording. */
  id: string;
  /** A fragment of the text with each match between START and STOP (below). */
  fragment: string;
}

/** Marks around each match in a fragment: control characters, taken out of the texts first, so a text cannot fake one. */
export const MATCH_START = "\u0002";
export const MATCH_STOP = "\u0003";
const HEADLINE_OPTIONS =
  `StartSel=${MATCH_START}, StopSel=${MATCH_STOP}, MaxWords=20, MinWords=6, ` +
  `MaxFragments=2, FragmentDelimiter=" … "`;

/**
 * Where the query matched in each conversation: at most `perConversation` texts each (the contact's
 * name first, then the latest), with the fragments PostgreSQL's ts_headline picks around the matches.
 */
export function searchHighlightRows(
  prisma: PrismaClient,
  conversationIds: string[],
  query: string,
  perConversation: number,
): Promise<HighlightRow[]> {
  const ids = sql`${conversationIds}::uuid[]`;
  return prisma.$queryRaw<HighlightRow[]>`
    SELECT "conversationId"::text AS "conversationId", source, id::text AS id,
           ts_headline(${TEXT_SEARCH_CONFIG}, translate(body, ${MATCH_START + MATCH_STOP}, '  '), ${tsquery(query)},
             ${HEADLINE_OPTIONS}) AS fragment
    FROM (
      SELECT *, row_number() OVER (PARTITION BY "conversationId" ORDER BY at DESC, id) AS rank FROM (
        SELECT c.id AS "conversationId", 'CONTACT_NAME' AS source, ct.id, ct.name AS body, 'infinity'::timestamp AS at
          FROM "Conversation" c JOIN "Contact" ct ON ct.id = c."contactId"
          WHERE c.id = ANY(${ids}) AND ${matches(sql`ct."name"`, query)}
        UNION ALL SELECT m."conversationId", 'MESSAGE', m.id, m.text, m."createdAt" FROM "Message" m
          WHERE m."conversationId" = ANY(${ids}) AND ${matches(sql`m."text"`, query)}
        UNION ALL SELECT co."conversationId", 'COMMENT', co.id, co.body, co."createdAt" FROM "Comment" co
          WHERE co."conversationId" = ANY(${ids}) AND ${matches(sql`co."body"`, query)}
        UNION ALL SELECT ca."conversationId", 'TRANSCRIPTION', r.id, r.transcription, r."createdAt"
          FROM "Recording" r JOIN "Call" ca ON ca.id = r."callId"
          WHERE ca."conversationId" = ANY(${ids}) AND ${matches(sql`r."transcription"`, query)}
      ) found
    ) ranked
    WHERE rank <= ${perConversation}
    ORDER BY "conversationId", rank`;
}
