-- CreateIndex
CREATE INDEX "Event_ruleId_type_sequence_idx" ON "Event"("ruleId", "type", "sequence");
