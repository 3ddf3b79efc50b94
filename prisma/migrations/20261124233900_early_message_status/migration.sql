-- CreateTable
CREATE TABLE "EarlyMessageStatus" (
    "ringCentralId" TEXT NOT NULL,
    "status" "MessageStatus" NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EarlyMessageStatus_pkey" PRIMARY KEY ("ringCentralId")
);
