-- AlterTable
ALTER TABLE "Activity" ADD COLUMN     "callId" UUID;

-- AlterTable
ALTER TABLE "CallParty" ADD COLUMN     "answeredAt" TIMESTAMP(3),
ADD COLUMN     "endedAt" TIMESTAMP(3),
ADD COLUMN     "firstEventAt" TIMESTAMP(3) NOT NULL,
ADD COLUMN     "queueCall" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "role" TEXT NOT NULL,
ADD COLUMN     "voicemailAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "UnroutedCallEvent" (
    "id" UUID NOT NULL,
    "telephonySessionId" TEXT NOT NULL,
    "partyId" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "payload" JSONB NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UnroutedCallEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "UnroutedCallEvent_receivedAt_idx" ON "UnroutedCallEvent"("receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "UnroutedCallEvent_telephonySessionId_partyId_sequence_key" ON "UnroutedCallEvent"("telephonySessionId", "partyId", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "Activity_callId_type_key" ON "Activity"("callId", "type");

-- CreateIndex
CREATE INDEX "CallParty_extensionId_idx" ON "CallParty"("extensionId");
