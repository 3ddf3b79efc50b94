-- CreateEnum
CREATE TYPE "ContactSource" AS ENUM ('AUTOMATIC', 'MANUAL');

-- AlterTable
ALTER TABLE "Contact" ADD COLUMN     "source" "ContactSource" NOT NULL DEFAULT 'AUTOMATIC';

-- Existing contacts: one made for a caller's or texter's number always got its conversation in the
-- same transaction, so a contact with no conversation was created by hand (the address book).
UPDATE "Contact" SET "source" = 'MANUAL'
WHERE NOT EXISTS (SELECT 1 FROM "Conversation" WHERE "Conversation"."contactId" = "Contact"."id");
