-- AlterTable
ALTER TABLE "User" ADD COLUMN     "presenceSequence" INTEGER,
ADD COLUMN     "ringCentralDnd" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "statusBeforeDnd" "AgentStatus";
