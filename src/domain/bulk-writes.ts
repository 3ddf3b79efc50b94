// Set-wise writes: many rows' different values in one statement. Prisma's createMany covers
// inserts; updates with a value per row have no Prisma form, so they are one
// `UPDATE … FROM unnest(…)` (one array parameter per column, whatever the number of rows).
import type { Prisma } from "../generated/prisma/client.ts";

type Transaction = Prisma.TransactionClient;

/** A column's PostgreSQL type: the parameter is sent as an array of its text or native form. */
export type ColumnType = "uuid" | "text" | "integer" | "boolean" | "timestamp" | "jsonb" | `enum:${string}`;

export interface Column<Row> {
  name: string;
  type: ColumnType;
  value: (row: Row) => string | number | boolean | Date | null;
  /** A null value leaves the column as it is (for rows where only some columns changed). */
  keepWhenNull?: boolean;
}

/** The array type a parameter travels as, and the cast that turns an element into the column's type. */
function parameterType(type: ColumnType): { array: string; cast: string } {
  if (type === "timestamp") return { array: "text[]", cast: "::timestamp(3)" };
  if (type === "jsonb") return { array: "text[]", cast: "::jsonb" };
  if (type.startsWith("enum:")) return { array: "text[]", cast: `::"${type.slice(5)}"` };
  return { array: `${type}[]`, cast: "" };
}

function encode(value: string | number | boolean | Date | null): string | number | boolean | null {
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * Sets `columns` of each row of `table` whose `key` matches, in one statement; `updatedAt` (Prisma's
 * @updatedAt, which raw SQL does not maintain) to now when the table has it.
 */
export async function updateRows<Row>(
  tx: Transaction,
  table: string,
  key: Column<Row>,
  columns: Column<Row>[],
  rows: Row[],
  options: { touchUpdatedAt?: boolean } = {},
): Promise<void> {
  if (rows.length === 0) return;
  const all = [key, ...columns];
  const parameters = all.map((column) => rows.map((row) => encode(column.value(row))));
  const unnest = all.map((column, i) => `$${i + 1}::${parameterType(column.type).array}`).join(", ");
  const names = all.map((_, i) => `c${i}`).join(", ");
  const sets = columns.map((column, i) => {
    const value = `v.c${i + 1}${parameterType(column.type).cast}`;
    return `"${column.name}" = ${column.keepWhenNull ? `COALESCE(${value}, t."${column.name}")` : value}`;
  });
  if (options.touchUpdatedAt) sets.push(`"updatedAt" = now()`);
  const sql = `UPDATE "${table}" AS t SET ${sets.join(", ")} FROM unnest(${unnest}) AS v(${names}) WHERE t."${key.name}" = v.c0${parameterType(key.type).cast}`;
  await tx.$executeRawUnsafe(sql, ...parameters);
}
