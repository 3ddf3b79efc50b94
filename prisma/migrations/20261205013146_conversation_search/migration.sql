-- DropIndex
DROP INDEX "Call_conversationId_idx";

-- CreateIndex
CREATE INDEX "Call_conversationId_createdAt_idx" ON "Call"("conversationId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Conversation_lastActivityAt_idx" ON "Conversation"("lastActivityAt" DESC);

-- CreateIndex
CREATE INDEX "Conversation_createdAt_idx" ON "Conversation"("createdAt" DESC);

-- Full-text search of conversations (src/store/conversation-lists.ts): GIN indexes on the text
-- search vectors of what a person may look for. Expression indexes cannot be written in
-- schema.prisma, and the schema engine diff leaves them alone. The queries use the same expressions:
-- the simple configuration (no stemming, no stop words: texts come in any language), matched by
-- prefix. fastupdate off: rows go into the index as they are written rather than into a pending
-- list that every search scans until vacuum flushes it (measured: a fresh 80,000-row pending list
-- cost 425 page reads a search), so search time does not depend on when vacuum last ran.
CREATE INDEX "Message_text_search_idx" ON "Message" USING GIN (to_tsvector('simple'::regconfig, "text")) WITH (fastupdate = off);
CREATE INDEX "Comment_body_search_idx" ON "Comment" USING GIN (to_tsvector('simple'::regconfig, "body")) WITH (fastupdate = off);
CREATE INDEX "Contact_name_search_idx" ON "Contact" USING GIN (to_tsvector('simple'::regconfig, "name")) WITH (fastupdate = off);
CREATE INDEX "Recording_transcription_search_idx" ON "Recording" USING GIN (to_tsvector('simple'::regconfig, "transcription")) WITH (fastupdate = off);
