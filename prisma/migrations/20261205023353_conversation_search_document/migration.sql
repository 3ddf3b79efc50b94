-- CreateTable
CREATE TABLE "ConversationSearch" (
    "conversationId" UUID NOT NULL,
    "document" tsvector NOT NULL,

    CONSTRAINT "ConversationSearch_pkey" PRIMARY KEY ("conversationId")
);

-- AddForeignKey
ALTER TABLE "ConversationSearch" ADD CONSTRAINT "ConversationSearch_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Text search reads one document per conversation (src/store/conversation-lists.ts) instead of four
-- indexes over its texts: a broad word ("refu") matched thousands of texts, each looked up for its
-- conversation before a page could be kept. The document holds the distinct words (lexemes, the
-- 'simple' configuration, no positions: a search is an AND of word prefixes) of the conversation's
-- messages, comments, voicemail transcriptions and contact name. These triggers keep it exact in the
-- same transaction as the texts, on PostgreSQL and PGlite alike: new texts add their words; a text
-- edited, deleted or moved to another conversation (split, moved call), a renamed contact or a
-- conversation given another contact rebuilds the documents concerned from their texts. Statement
-- triggers with transition tables, so a bulk insert or a split of many messages is one pass.

-- The documents of these conversations, rebuilt from their texts. Their rows are locked first (in
-- one order, against deadlocks), and the texts read by the next statement, which sees what was
-- committed meanwhile: a text added by a transaction that committed while this one waited is kept.
CREATE FUNCTION conversation_search_rebuild(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  SELECT 1 FROM "ConversationSearch" WHERE "conversationId" = ANY(ids) ORDER BY "conversationId" FOR UPDATE;
  INSERT INTO "ConversationSearch" ("conversationId", document)
  SELECT c.id, COALESCE((
      SELECT array_to_tsvector(array_agg(DISTINCT w.lexeme))
      FROM (
        SELECT ct.name AS body FROM "Contact" ct WHERE ct.id = c."contactId"
        UNION ALL SELECT m.text FROM "Message" m WHERE m."conversationId" = c.id
        UNION ALL SELECT co.body FROM "Comment" co WHERE co."conversationId" = c.id
        UNION ALL SELECT r.transcription FROM "Recording" r JOIN "Call" ca ON ca.id = r."callId"
          WHERE ca."conversationId" = c.id
      ) texts, unnest(to_tsvector('simple'::regconfig, texts.body)) w
    ), ''::tsvector)
  FROM "Conversation" c WHERE c.id = ANY(ids) ORDER BY c.id
  ON CONFLICT ("conversationId") DO UPDATE SET document = excluded.document
    WHERE "ConversationSearch".document IS DISTINCT FROM excluded.document;
$$;

-- The words of new texts (bodies[i] in conversation ids[i]) added to their conversations' documents.
CREATE FUNCTION conversation_search_add(ids uuid[], bodies text[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "ConversationSearch" ("conversationId", document)
  SELECT added.id, array_to_tsvector(array_agg(DISTINCT w.lexeme))
  FROM unnest(ids, bodies) AS added(id, body), unnest(to_tsvector('simple'::regconfig, added.body)) w
  GROUP BY added.id ORDER BY added.id
  ON CONFLICT ("conversationId") DO UPDATE SET document = "ConversationSearch".document || excluded.document;
$$;

CREATE FUNCTION conversation_search_message_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids uuid[]; bodies text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(n."conversationId"), array_agg(n.text) INTO ids, bodies FROM new_rows n;
    PERFORM conversation_search_add(ids, bodies);
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM conversation_search_rebuild(ARRAY(
      SELECT unnest(ARRAY[o."conversationId", n."conversationId"]) FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE o.text IS DISTINCT FROM n.text OR o."conversationId" <> n."conversationId"));
  ELSE
    PERFORM conversation_search_rebuild(ARRAY(SELECT o."conversationId" FROM old_rows o));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION conversation_search_comment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids uuid[]; bodies text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(n."conversationId"), array_agg(n.body) INTO ids, bodies FROM new_rows n;
    PERFORM conversation_search_add(ids, bodies);
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM conversation_search_rebuild(ARRAY(
      SELECT unnest(ARRAY[o."conversationId", n."conversationId"]) FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE o.body IS DISTINCT FROM n.body OR o."conversationId" <> n."conversationId"));
  ELSE
    PERFORM conversation_search_rebuild(ARRAY(SELECT o."conversationId" FROM old_rows o));
  END IF;
  RETURN NULL;
END $$;

-- A recording belongs to a conversation through its call.
CREATE FUNCTION conversation_search_recording_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids uuid[]; bodies text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(ca."conversationId"), array_agg(n.transcription) INTO ids, bodies
      FROM new_rows n JOIN "Call" ca ON ca.id = n."callId" WHERE n.transcription IS NOT NULL;
    PERFORM conversation_search_add(ids, bodies);
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM conversation_search_rebuild(ARRAY(
      SELECT ca."conversationId" FROM old_rows o JOIN new_rows n ON n.id = o.id
        JOIN "Call" ca ON ca.id IN (o."callId", n."callId")
      WHERE o.transcription IS DISTINCT FROM n.transcription OR o."callId" IS DISTINCT FROM n."callId"));
  ELSE
    PERFORM conversation_search_rebuild(ARRAY(
      SELECT ca."conversationId" FROM old_rows o JOIN "Call" ca ON ca.id = o."callId"
      WHERE o.transcription IS NOT NULL));
  END IF;
  RETURN NULL;
END $$;

-- A call moved to another conversation takes its transcriptions along; a call deleted, its recordings.
CREATE FUNCTION conversation_search_call_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    PERFORM conversation_search_rebuild(ARRAY(
      SELECT unnest(ARRAY[o."conversationId", n."conversationId"]) FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE o."conversationId" <> n."conversationId"));
  ELSE
    PERFORM conversation_search_rebuild(ARRAY(SELECT o."conversationId" FROM old_rows o));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION conversation_search_contact_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM conversation_search_rebuild(ARRAY(
    SELECT c.id FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN "Conversation" c ON c."contactId" = n.id
    WHERE o.name IS DISTINCT FROM n.name));
  RETURN NULL;
END $$;

-- A new conversation's document starts with its contact's name; another contact, another name.
CREATE FUNCTION conversation_search_conversation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM conversation_search_rebuild(ARRAY(SELECT n.id FROM new_rows n));
  ELSE
    PERFORM conversation_search_rebuild(ARRAY(
      SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE o."contactId" IS DISTINCT FROM n."contactId"));
  END IF;
  RETURN NULL;
END $$;

-- Transition tables allow one event per trigger.
CREATE TRIGGER conversation_search_message_inserted AFTER INSERT ON "Message"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_message_changed();
CREATE TRIGGER conversation_search_message_updated AFTER UPDATE ON "Message"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_message_changed();
CREATE TRIGGER conversation_search_message_deleted AFTER DELETE ON "Message"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_message_changed();
CREATE TRIGGER conversation_search_comment_inserted AFTER INSERT ON "Comment"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_comment_changed();
CREATE TRIGGER conversation_search_comment_updated AFTER UPDATE ON "Comment"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_comment_changed();
CREATE TRIGGER conversation_search_comment_deleted AFTER DELETE ON "Comment"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_comment_changed();
CREATE TRIGGER conversation_search_recording_inserted AFTER INSERT ON "Recording"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_recording_changed();
CREATE TRIGGER conversation_search_recording_updated AFTER UPDATE ON "Recording"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_recording_changed();
CREATE TRIGGER conversation_search_recording_deleted AFTER DELETE ON "Recording"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_recording_changed();
CREATE TRIGGER conversation_search_call_updated AFTER UPDATE ON "Call"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_call_changed();
CREATE TRIGGER conversation_search_call_deleted AFTER DELETE ON "Call"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_call_changed();
CREATE TRIGGER conversation_search_contact_updated AFTER UPDATE ON "Contact"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_contact_renamed();
CREATE TRIGGER conversation_search_conversation_inserted AFTER INSERT ON "Conversation"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_conversation_changed();
CREATE TRIGGER conversation_search_conversation_updated AFTER UPDATE ON "Conversation"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_conversation_changed();

-- The documents of the conversations there are, then their index (built once, after the rows).
SELECT conversation_search_rebuild(ARRAY(SELECT id FROM "Conversation"));

-- fastupdate off, as for the indexes it replaces (migration 20261205013146_conversation_search).
CREATE INDEX "ConversationSearch_document_idx" ON "ConversationSearch" USING GIN (document) WITH (fastupdate = off);

-- The per-text indexes are no longer what a search starts from; a page's highlights and the check
-- of a search of several words read only that page's texts, by conversation.
DROP INDEX "Message_text_search_idx";
DROP INDEX "Comment_body_search_idx";
DROP INDEX "Contact_name_search_idx";
DROP INDEX "Recording_transcription_search_idx";
