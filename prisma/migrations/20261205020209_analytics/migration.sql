-- CreateTable
CREATE TABLE "AnalyticsCall" (
    "callId" UUID NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "inboxId" UUID,
    "channelId" UUID,
    "direction" "CallDirection" NOT NULL,
    "outcome" "CallStatus",
    "waitSeconds" INTEGER,
    "talkSeconds" INTEGER,
    "transfers" INTEGER NOT NULL DEFAULT 0,
    "agentId" UUID,

    CONSTRAINT "AnalyticsCall_pkey" PRIMARY KEY ("callId")
);

-- CreateTable
CREATE TABLE "AnalyticsCallAgent" (
    "callId" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "inboxId" UUID,
    "channelId" UUID,
    "answered" BOOLEAN NOT NULL,
    "missed" BOOLEAN NOT NULL,
    "answeredElsewhere" BOOLEAN NOT NULL,

    CONSTRAINT "AnalyticsCallAgent_pkey" PRIMARY KEY ("callId","agentId")
);

-- CreateTable
CREATE TABLE "AnalyticsMessage" (
    "messageId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "inboxId" UUID,
    "channelId" UUID,
    "direction" "MessageDirection" NOT NULL,
    "mms" BOOLEAN NOT NULL,
    "failed" BOOLEAN NOT NULL,
    "agentId" UUID,

    CONSTRAINT "AnalyticsMessage_pkey" PRIMARY KEY ("messageId")
);

-- CreateTable
CREATE TABLE "AnalyticsConversation" (
    "conversationId" UUID NOT NULL,
    "inboxId" UUID,
    "channelId" UUID,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "closedAt" TIMESTAMP(3),
    "resolutionSeconds" INTEGER,
    "assigneeId" UUID,
    "firstInboundAt" TIMESTAMP(3),
    "firstResponseSeconds" INTEGER,
    "responderId" UUID,

    CONSTRAINT "AnalyticsConversation_pkey" PRIMARY KEY ("conversationId")
);

-- CreateTable
CREATE TABLE "AnalyticsCsat" (
    "csatResponseId" UUID NOT NULL,
    "answeredAt" TIMESTAMP(3) NOT NULL,
    "inboxId" UUID,
    "channelId" UUID,
    "agentId" UUID,
    "score" INTEGER NOT NULL,

    CONSTRAINT "AnalyticsCsat_pkey" PRIMARY KEY ("csatResponseId")
);

-- CreateTable
CREATE TABLE "AnalyticsHour" (
    "hour" TIMESTAMP(3) NOT NULL,
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

    CONSTRAINT "AnalyticsHour_pkey" PRIMARY KEY ("hour","inboxId","channelId","agentId")
);

-- CreateTable
CREATE TABLE "AnalyticsCursor" (
    "name" TEXT NOT NULL,
    "sequence" BIGINT NOT NULL,

    CONSTRAINT "AnalyticsCursor_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "AnalyticsCall_startedAt_idx" ON "AnalyticsCall"("startedAt");

-- CreateIndex
CREATE INDEX "AnalyticsCallAgent_startedAt_idx" ON "AnalyticsCallAgent"("startedAt");

-- CreateIndex
CREATE INDEX "AnalyticsMessage_at_idx" ON "AnalyticsMessage"("at");

-- CreateIndex
CREATE INDEX "AnalyticsConversation_openedAt_idx" ON "AnalyticsConversation"("openedAt");

-- CreateIndex
CREATE INDEX "AnalyticsConversation_closedAt_idx" ON "AnalyticsConversation"("closedAt");

-- CreateIndex
CREATE INDEX "AnalyticsConversation_firstInboundAt_idx" ON "AnalyticsConversation"("firstInboundAt");

-- CreateIndex
CREATE INDEX "AnalyticsCsat_answeredAt_idx" ON "AnalyticsCsat"("answeredAt");
