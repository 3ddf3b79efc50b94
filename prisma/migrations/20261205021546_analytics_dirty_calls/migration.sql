-- CreateTable
CREATE TABLE "AnalyticsDirtyCall" (
    "callId" UUID NOT NULL,
    "version" BIGSERIAL NOT NULL,

    CONSTRAINT "AnalyticsDirtyCall_pkey" PRIMARY KEY ("callId")
);
