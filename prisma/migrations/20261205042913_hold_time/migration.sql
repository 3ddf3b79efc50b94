-- AlterTable
ALTER TABLE "AnalyticsCall" ADD COLUMN     "holdSeconds" INTEGER;

-- AlterTable
ALTER TABLE "AnalyticsHour" ADD COLUMN     "holdCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "holdSum" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "CallParty" ADD COLUMN     "holdLog" JSONB NOT NULL DEFAULT '[]';
