// The Call and CallParty rows as call ingest reads and writes them: one definition per row shape
// (column name → PostgreSQL type), from which the inserts, the updates, the SELECT list and the
// reading of JSON rows are derived. The compiler holds each to exactly the fields of Prisma's model
// type; test/call-ingest-rows.test.ts holds the types to the datamodel and the database.
import { Prisma } from "../../generated/prisma/client.ts";
import type { CallRow, PartyRow } from "../../domain/call-ingest-state.ts";
import { columnsOf, type Column, type ColumnTypes } from "../bulk-writes.ts";

export const CALL_COLUMN_TYPES: ColumnTypes<CallRow> = {
  id: "uuid",
  telephonySessionId: "text",
  conversationId: "uuid",
  channelId: "uuid",
  direction: "enum:CallDirection",
  status: "enum:CallStatus",
  settledStatus: "enum:CallStatus",
  fromNumber: "text",
  toNumber: "text",
  queuedAt: "timestamp",
  answeredAt: "timestamp",
  endedAt: "timestamp",
  talkSeconds: "integer",
  answeredById: "uuid",
  createdAt: "timestamp",
};

export const PARTY_COLUMN_TYPES: ColumnTypes<PartyRow> = {
  id: "uuid",
  callId: "uuid",
  partyId: "text",
  role: "text",
  direction: "enum:CallDirection",
  statusCode: "text",
  reason: "text",
  extensionId: "text",
  fromNumber: "text",
  toNumber: "text",
  muted: "boolean",
  missedCall: "boolean",
  queueCall: "boolean",
  sequence: "integer",
  eventTime: "timestamp",
  firstEventAt: "timestamp",
  answeredAt: "timestamp",
  voicemailAt: "timestamp",
  endedAt: "timestamp",
  holdLog: "jsonb",
};

/** Prisma's @updatedAt, which raw SQL does not maintain. */
const UPDATED_NOW: Column<unknown> = { name: "updatedAt", type: "timestamp", value: () => new Date() };

/** What applying notifications changes on a stored call: its derived state. */
const CALL_DERIVED_FIELDS = [
  "status",
  "settledStatus",
  "queuedAt",
  "answeredAt",
  "endedAt",
  "talkSeconds",
  "answeredById",
] as const;

/** Columns that name a party: never changed once stored. */
const PARTY_KEY_FIELDS: readonly string[] = ["id", "callId", "partyId"];

export const CALL_KEY: Column<CallRow> = columnsOf(CALL_COLUMN_TYPES, ["id"])[0]!;
export const CALL_INSERT_COLUMNS: Column<CallRow>[] = [...columnsOf(CALL_COLUMN_TYPES), UPDATED_NOW];
export const CALL_UPDATE_COLUMNS: Column<CallRow>[] = columnsOf(CALL_COLUMN_TYPES, CALL_DERIVED_FIELDS);

export const PARTY_KEY: Column<PartyRow> = columnsOf(PARTY_COLUMN_TYPES, ["id"])[0]!;
export const PARTY_INSERT_COLUMNS: Column<PartyRow>[] = [...columnsOf(PARTY_COLUMN_TYPES), UPDATED_NOW];
export const PARTY_UPDATE_COLUMNS: Column<PartyRow>[] = columnsOf(PARTY_COLUMN_TYPES).filter(
  (c) => !PARTY_KEY_FIELDS.includes(c.name),
);

/** The Call columns for a SELECT from `alias`: uuid and enum columns as text, as the row type has them. */
export function callSelectList(alias: string): Prisma.Sql {
  const asText = (type: string) => type === "uuid" || type.startsWith("enum:");
  const columns = Object.entries(CALL_COLUMN_TYPES).map(
    ([name, type]) => `${alias}."${name}"${asText(type) ? "::text" : ""}`,
  );
  return Prisma.raw(columns.join(", "));
}

/** A CallParty row as `json_agg` gives it: timestamps are text. */
export type PartyJson = {
  [Name in keyof PartyRow]: PartyRow[Name] extends Date | null ? string | null : PartyRow[Name];
};

/** A timestamp(3) column as JSON ("2026-01-02T09:00:00.123", UTC without the zone) as a Date. */
export function fromJsonTimestamp(value: string | null): Date | null {
  return value === null ? null : new Date(`${value}Z`);
}

/** The party row of its JSON form: only the row's columns, timestamps as Dates. */
export function partyFromJson(json: PartyJson): PartyRow {
  const row: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(PARTY_COLUMN_TYPES)) {
    const value = json[name as keyof PartyJson];
    row[name] = type === "timestamp" ? fromJsonTimestamp(value as string | null) : value;
  }
  return row as PartyRow;
}
