-- The hourly rollup loses its agent (agents move to the daily rollup) and gains value lists: its
-- rows are recounted, so it is emptied and the analytics cursor dropped — the consumer rebuilds the
-- facts and both rollups on its first pass, as on a new installation.
DELETE FROM "AnalyticsHour";
DELETE FROM "AnalyticsCursor" WHERE "name" = 'analytics';

-- AlterTable
ALTER TABLE "AnalyticsHour" DROP CONSTRAINT "AnalyticsHour_pkey",
DROP COLUMN "agentId",
ADD COLUMN     "abandonedWaits" BYTEA,
ADD COLUMN     "answeredWaits" BYTEA,
ADD COLUMN     "firstResponses" BYTEA,
ADD COLUMN     "resolutions" BYTEA,
ADD COLUMN     "talks" BYTEA,
ADD CONSTRAINT "AnalyticsHour_pkey" PRIMARY KEY ("hour", "inboxId", "channelId");

-- CreateTable
CREATE TABLE "AnalyticsDay" (
    "day" TIMESTAMP(3) NOT NULL,
    "inboxId" UUID NOT NULL,
    "channelId" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "callsInbound" INTEGER NOT NULL DEFAULT 0,
    "callsOutbound" INTEGER NOT NULL DEFAULT 0,
    "answered" INTEGER NOT NULL DEFAULT 0,
    "missed" INTEGER NOT NULL DEFAULT 0,
    "abandoned" INTEGER NOT NULL DEFAULT 0,
    "voicemail" INTEGER NOT NULL DEFAULT 0,
    "waitCount" INTEGER NOT NULL DEFAULT 0,
    "waitSum" BIGINT NOT NULL DEFAULT 0,
    "talkCount" INTEGER NOT NULL DEFAULT 0,
    "talkSum" BIGINT NOT NULL DEFAULT 0,
    "transfers" INTEGER NOT NULL DEFAULT 0,
    "agentOffered" INTEGER NOT NULL DEFAULT 0,
    "agentAnswered" INTEGER NOT NULL DEFAULT 0,
    "agentMissed" INTEGER NOT NULL DEFAULT 0,
    "agentAnsweredElsewhere" INTEGER NOT NULL DEFAULT 0,
    "messagesInbound" INTEGER NOT NULL DEFAULT 0,
    "messagesOutbound" INTEGER NOT NULL DEFAULT 0,
    "mms" INTEGER NOT NULL DEFAULT 0,
    "deliveryFailures" INTEGER NOT NULL DEFAULT 0,
    "conversationsOpened" INTEGER NOT NULL DEFAULT 0,
    "conversationsClosed" INTEGER NOT NULL DEFAULT 0,
    "firstResponseCount" INTEGER NOT NULL DEFAULT 0,
    "firstResponseSum" BIGINT NOT NULL DEFAULT 0,
    "resolutionCount" INTEGER NOT NULL DEFAULT 0,
    "resolutionSum" BIGINT NOT NULL DEFAULT 0,
    "csatCount" INTEGER NOT NULL DEFAULT 0,
    "csatSum" INTEGER NOT NULL DEFAULT 0,
    "csat1" INTEGER NOT NULL DEFAULT 0,
    "csat2" INTEGER NOT NULL DEFAULT 0,
    "csat3" INTEGER NOT NULL DEFAULT 0,
    "csat4" INTEGER NOT NULL DEFAULT 0,
    "csat5" INTEGER NOT NULL DEFAULT 0,
    "answeredWaits" BYTEA,
    "abandonedWaits" BYTEA,
    "talks" BYTEA,
    "firstResponses" BYTEA,
    "resolutions" BYTEA,

    CONSTRAINT "AnalyticsDay_pkey" PRIMARY KEY ("day","inboxId","channelId","agentId")
);
