-- AlterTable
ALTER TABLE "Channel" ADD COLUMN     "ringCentralExtensionId" TEXT;
