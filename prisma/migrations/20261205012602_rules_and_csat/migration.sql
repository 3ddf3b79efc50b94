-- CreateEnum
CREATE TYPE "RuleRunStatus" AS ENUM ('RUNNING', 'DONE', 'FAILED');

-- AlterEnum
BEGIN;
CREATE TYPE "RuleTrigger_new" AS ENUM ('CALL_ENDED', 'INBOUND_CALL_STARTED', 'MESSAGE_RECEIVED', 'OUTBOUND_MESSAGE_FAILED', 'CONVERSATION_ARCHIVED', 'CONVERSATION_ASSIGNED');
ALTER TABLE "Rule" ALTER COLUMN "trigger" TYPE "RuleTrigger_new" USING ("trigger"::text::"RuleTrigger_new");
ALTER TYPE "RuleTrigger" RENAME TO "RuleTrigger_old";
ALTER TYPE "RuleTrigger_new" RENAME TO "RuleTrigger";
DROP TYPE "public"."RuleTrigger_old";
COMMIT;

-- DropForeignKey
ALTER TABLE "Rule" DROP CONSTRAINT "Rule_inboxId_fkey";

-- AlterTable
ALTER TABLE "Activity" ADD COLUMN     "ruleId" UUID;

-- AlterTable
ALTER TABLE "Comment" ADD COLUMN     "ruleId" UUID;

-- AlterTable
ALTER TABLE "CsatResponse" ADD COLUMN     "assigneeId" UUID,
ADD COLUMN     "channelId" UUID,
ADD COLUMN     "customerNumber" TEXT,
ADD COLUMN     "expiresAt" TIMESTAMP(3),
ADD COLUMN     "replyMessageId" UUID,
ADD COLUMN     "ruleId" UUID,
ADD COLUMN     "surveyMessageId" UUID;

-- AlterTable
ALTER TABLE "Event" ADD COLUMN     "ruleDepth" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "ruleId" UUID;

-- AlterTable
ALTER TABLE "Inbox" ADD COLUMN     "businessHours" JSONB,
ADD COLUMN     "holidays" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "timeZone" TEXT NOT NULL DEFAULT 'UTC';

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "ruleId" UUID;

-- AlterTable
ALTER TABLE "Rule" DROP COLUMN "inboxId",
ADD COLUMN     "inboxIds" UUID[] DEFAULT ARRAY[]::UUID[],
ADD COLUMN     "updatedById" UUID,
ALTER COLUMN "conditions" SET DEFAULT '[]';

-- CreateTable
CREATE TABLE "RuleRun" (
    "id" UUID NOT NULL,
    "ruleId" UUID NOT NULL,
    "triggerKey" TEXT NOT NULL,
    "eventSequence" BIGINT NOT NULL,
    "conversationId" UUID,
    "status" "RuleRunStatus" NOT NULL DEFAULT 'RUNNING',
    "actions" JSONB NOT NULL DEFAULT '[]',
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "RuleRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RuleCursor" (
    "name" TEXT NOT NULL,
    "sequence" BIGINT NOT NULL,

    CONSTRAINT "RuleCursor_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "RuleCallWatch" (
    "callId" UUID NOT NULL,
    "eventSequence" BIGINT NOT NULL,
    "lastChangeAt" TIMESTAMP(3) NOT NULL,
    "ruleDepth" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "RuleCallWatch_pkey" PRIMARY KEY ("callId")
);

-- CreateIndex
CREATE INDEX "RuleRun_ruleId_createdAt_idx" ON "RuleRun"("ruleId", "createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "RuleRun_ruleId_triggerKey_key" ON "RuleRun"("ruleId", "triggerKey");

-- CreateIndex
CREATE INDEX "RuleCallWatch_lastChangeAt_idx" ON "RuleCallWatch"("lastChangeAt");

-- CreateIndex
CREATE INDEX "CsatResponse_channelId_customerNumber_expiresAt_idx" ON "CsatResponse"("channelId", "customerNumber", "expiresAt");

-- AddForeignKey
ALTER TABLE "RuleRun" ADD CONSTRAINT "RuleRun_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "Rule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The starter rule (disabled): the seed's example, one switch away.
INSERT INTO "Rule" ("id", "name", "trigger", "conditions", "actions", "enabled", "updatedAt")
VALUES (gen_random_uuid(), 'Archive abandoned calls', 'CALL_ENDED',
        '[{"type":"CALL_OUTCOME","outcomes":["ABANDONED"]}]', '[{"type":"ARCHIVE"}]', false, CURRENT_TIMESTAMP);
