-- AlterTable
ALTER TABLE "Call" ADD COLUMN     "settledStatus" "CallStatus";
