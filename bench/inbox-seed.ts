// Seeds an inbox-query benchmark database straight in SQL (generate_series), not through the API:
// agents, 4 inboxes, contacts, conversations (with calls, messages, tags, assignees) and the event
// log. Deterministic ids (md5 of a label) so runs are comparable.
import pg from "pg";
import { pgConfigFromUrl } from "../src/db.ts";

export interface SeedSize {
  conversations: number;
  events: number;
}

export const INBOXES = 4;
export const AGENTS = 50;

export const uuidOf = (label: string) => `md5('${label}')::uuid`;

export async function seedInboxData(
  url: string,
  size: SeedSize,
): Promise<{ inboxId: string; agentId: string; seconds: number }> {
  const client = new pg.Client(pgConfigFromUrl(url));
  await client.connect();
  const started = performance.now();
  const N = size.conversations;
  const contacts = Math.max(1, Math.round(N * 0.8));
  try {
    const statements = [
      `INSERT INTO "User" (id, email, name, role, status, "updatedAt")
         SELECT md5('user' || g)::uuid, 'agent' || g || '@bench.test', 'Agent ' || g, 'AGENT', 'AVAILABLE', now() ` +
        `FROM generate_series(1, ${AGENTS}) g`,
      `INSERT INTO "Inbox" (id, name) SELECT md5('inbox' || g)::uuid, 'Inbox ' || g FROM generate_series(0, ` +
        `${INBOXES - 1}) g`,
      `INSERT INTO "InboxMember" ("inboxId", "userId") SELECT md5('inbox' || i)::uuid, md5('user' || u)::uuid ` +
        `FROM generate_series(0, ${INBOXES - 1}) i, generate_series(1, ${AGENTS}) u`,
      `INSERT INTO "Channel" (id, type, "phoneNumber", "inboxId")
         SELECT md5('voice' || g)::uuid, 'VOICE'::"ChannelType", '+1800555010' || g, md5('inbox' || g)::uuid FROM ` +
        `generate_series(0, ${INBOXES - 1}) g
         UNION ALL SELECT md5('sms' || g)::uuid, 'SMS'::"ChannelType", '+1800555020' || g, md5('inbox' || ` +
        `g)::uuid FROM generate_series(0, ${INBOXES - 1}) g`,
      `INSERT INTO "Contact" (id, name, "createdAt", "updatedAt")
         SELECT md5('contact' || g)::uuid, CASE WHEN g % 4 = 0 THEN NULL ELSE 'Customer ' || g END, now() - ` +
        `interval '90 days', now() FROM generate_series(1, ${contacts}) g`,
      `INSERT INTO "ContactPhone" (id, "contactId", e164)
         SELECT md5('phone' || g)::uuid, md5('contact' || g)::uuid, '+1650' || lpad(g::text, 7, '0') FROM ` +
        `generate_series(1, ${contacts}) g`,
      // Most recent first: conversation 1 is the newest. 80% open; two in three assigned.
      `INSERT INTO "Conversation" (id, status, "channelId", "contactId", "assigneeId", "lastActivityAt", ` +
        `"archivedAt", "createdAt")
         SELECT md5('conv' || g)::uuid,
                (CASE WHEN g % 5 = 4 THEN 'ARCHIVED' ELSE 'OPEN' END)::"ConversationStatus",
                md5('voice' || (g % ${INBOXES}))::uuid,
                md5('contact' || (1 + g % ${contacts}))::uuid,
                CASE WHEN g % 3 = 0 THEN NULL ELSE md5('user' || (1 + g % ${AGENTS}))::uuid END,
                now() - g * interval '31 seconds',
                CASE WHEN g % 5 = 4 THEN now() - g * interval '31 seconds' END,
                now() - g * interval '31 seconds' - interval '1 hour'
         FROM generate_series(1, ${N}) g`,
      // Each in its channel's inbox; 2% also in the next inbox (transfers).
      `INSERT INTO "ConversationInbox" ("conversationId", "inboxId", "lastActivityAt")
         SELECT md5('conv' || g)::uuid, md5('inbox' || (g % ${INBOXES}))::uuid, now() - g * interval '31 seconds' ` +
        `FROM generate_series(1, ${N}) g
         UNION ALL SELECT md5('conv' || g)::uuid, md5('inbox' || ((g + 1) % ${INBOXES}))::uuid, now() - g * ` +
        `interval '31 seconds' FROM generate_series(1, ${N}) g WHERE g % 50 = 7`,
      // Calls on 60% of conversations, two on 10%.
      `INSERT INTO "Call" (id, "telephonySessionId", "conversationId", "channelId", direction, status, ` +
        `"fromNumber", "toNumber", "answeredAt", "endedAt", "talkSeconds", "createdAt", "updatedAt")
         SELECT md5('call' || g || '-' || k)::uuid, 's-bench-' || g || '-' || k, md5('conv' || g)::uuid, ` +
        `md5('voice' || (g % ${INBOXES}))::uuid,
                (CASE WHEN g % 7 = 0 THEN 'OUTBOUND' ELSE 'INBOUND' END)::"CallDirection",
                (CASE WHEN g % 11 = 0 THEN 'MISSED' ELSE 'ENDED' END)::"CallStatus",
                '+1650' || lpad((1 + g % ${contacts})::text, 7, '0'), '+1800555010' || (g % ${INBOXES}),
                now() - g * interval '31 seconds' - interval '40 minutes' + k * interval '1 minute',
                now() - g * interval '31 seconds' - interval '35 minutes' + k * interval '1 minute',
                CASE WHEN g % 11 = 0 THEN NULL ELSE 60 + g % 600 END,
                now() - g * interval '31 seconds' - interval '40 minutes' + k * interval '1 minute', now()
         FROM generate_series(1, ${N}) g, generate_series(1, 2) k WHERE g % 10 < 6 AND (k = 1 OR g % 10 = 0)`,
      // Two messages on 60% of conversations.
      `INSERT INTO "Message" (id, "conversationId", "channelId", direction, status, "fromNumber", "toNumber", ` +
        `text, "createdAt", "updatedAt")
         SELECT md5('msg' || g || '-' || k)::uuid, md5('conv' || g)::uuid, md5('sms' || (g % ${INBOXES}))::uuid,
                (CASE WHEN k = 1 THEN 'INBOUND' ELSE 'OUTBOUND' END)::"MessageDirection",
                (CASE WHEN k = 1 THEN 'RECEIVED' ELSE 'DELIVERED' END)::"MessageStatus",
                '+1650' || lpad((1 + g % ${contacts})::text, 7, '0'), '+1800555020' || (g % ${INBOXES}),
                'Message ' || k || ' of conversation ' || g, now() - g * interval '31 seconds' - interval '30 ` +
        `minutes' + k * interval '1 minute', now()
         FROM generate_series(1, ${N}) g, generate_series(1, 2) k WHERE g % 10 >= 4`,
      // Searchable text besides the messages: a comment on 10% of conversations, and a voicemail with its
      // transcription on the first call of one in 13 that have calls. One in five of each is about a refund.
      `INSERT INTO "Comment" (id, "conversationId", "authorId", body, "createdAt")
         SELECT md5('comment' || g)::uuid, md5('conv' || g)::uuid, md5('user' || (1 + g % ${AGENTS}))::uuid,
                'Customer asks about ' || (ARRAY['a refund','an invoice','the delivery date','a password reset',` +
        `'their billing address'])[1 + (g / 10) % 5] || ', ticket ' || g,
                now() - g * interval '31 seconds' - interval '20 minutes'
         FROM generate_series(1, ${N}) g WHERE g % 10 = 4`,
      `INSERT INTO "Recording" (id, "ringCentralId", kind, state, "callId", transcription, "createdAt", "updatedAt")
         SELECT md5('voicemail' || g)::uuid, 'vm-bench-' || g, 'VOICEMAIL'::"RecordingKind", ` +
        `'AVAILABLE'::"RecordingState", md5('call' || g || '-1')::uuid,
                'Hi, this is customer ' || g || ', please call me back about ' || (ARRAY['my refund','an invoice',` +
        `'the delivery','my password','a billing question'])[1 + (g / 13) % 5],
                now() - g * interval '31 seconds' - interval '39 minutes', now()
         FROM generate_series(1, ${N}) g WHERE g % 10 < 6 AND g % 13 = 0`,
      `INSERT INTO "Tag" (id, name, color) SELECT md5('tag' || g)::uuid, 'tag-' || g, '#' || lpad(to_hex(g * ` +
        "123456), 6, '0') FROM generate_series(0, 29) g",
      // A tag on half the conversations, a second on a fifth.
      `INSERT INTO "ConversationTag" ("conversationId", "tagId")
         SELECT md5('conv' || g)::uuid, md5('tag' || (g % 30))::uuid FROM generate_series(1, ${N}) g WHERE g % 2 = 0
         UNION ALL SELECT md5('conv' || g)::uuid, md5('tag' || ((g + 7) % 30))::uuid FROM generate_series(1, ` +
        `${N}) g WHERE g % 5 = 0`,
      // The event log: ${size.events} events spread over the conversations, oldest first.
      `INSERT INTO "Event" (type, "conversationId", "inboxIds", "userIds", payload, "createdAt")
         SELECT (ARRAY['CONVERSATION_CREATED','CALL_UPDATED','CALL_UPDATED','CONVERSATION_ASSIGNED',` +
        `'MESSAGE_RECEIVED','CONVERSATION_CALL_ENDED','CONVERSATION_TAGGED','MESSAGE_SENT'])[1 + e % 8],
                md5('conv' || c)::uuid, ARRAY[md5('inbox' || (c % ${INBOXES}))::uuid], '{}'::uuid[],
                jsonb_build_object('n', e), now() - c * interval '31 seconds' - interval '1 hour' + (e / ${N}) * ` +
        `interval '1 second'
         FROM (SELECT e, 1 + (e % ${N}) AS c FROM generate_series(0, ${size.events - 1}) e) s ORDER BY e DESC`,
      `ANALYZE`,
    ];
    for (const sql of statements) {
      try {
        await client.query(sql);
      } catch (error) {
        throw new Error(`seed statement failed: ${(error as Error).message}\n${sql}`);
      }
    }
    const ids = await client.query<{ inbox: string; agent: string }>(
      `SELECT md5('inbox0')::uuid::text AS inbox, md5('user1')::uuid::text AS agent`,
    );
    return { inboxId: ids.rows[0]!.inbox, agentId: ids.rows[0]!.agent, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}
