-- AlterTable
ALTER TABLE "RingCentralConnection" ADD COLUMN     "extensionsCache" JSONB;
