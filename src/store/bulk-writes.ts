// Set-wise writes: many rows of several tables, with different values per row, in one statement.
// Each insert or update takes one array parameter per column (`unnest`), whatever the number of
// rows; `writeAll` runs them together as the data-modifying parts of one `WITH` statement, so a
// whole burst's changes cost one round trip. (PostgreSQL runs every part once, against the same
// snapshot, and checks foreign keys at the end of the statement: parts must touch different rows.)
import { Prisma } from "../generated/prisma/client.ts";

type Transaction = Prisma.TransactionClient;

/** A column's PostgreSQL type: the parameter is sent as an array of its text or native form. */
export type ColumnType = "uuid" | "text" | "integer" | "boolean" | "timestamp" | "jsonb" | `enum:${string}`;

type ColumnValue = string | number | boolean | Date | null;

export interface Column<Row> {
  name: string;
  type: ColumnType;
  value: (row: Row) => ColumnValue;
  /** Updates: a null value leaves the column as it is (for rows where only some columns changed). */
  keepWhenNull?: boolean;
}

/** The type of every column of a row shape: the compiler holds it to exactly the row's fields. */
export type ColumnTypes<Row> = { readonly [Name in keyof Row & string]-?: ColumnType };

/** Columns that take their values from the row's fields of the same names (all of them by default). */
export function columnsOf<Row>(types: ColumnTypes<Row>, names?: readonly (keyof Row & string)[]): Column<Row>[] {
  const chosen = names ?? (Object.keys(types) as (keyof Row & string)[]);
  return chosen.map((name) => ({ name, type: types[name], value: fieldValue<Row>(name, types[name]) }));
}

/** A field's value as its parameter carries it: a jsonb field as its JSON text (SQL NULL for null). */
function fieldValue<Row>(name: keyof Row & string, type: ColumnType): (row: Row) => ColumnValue {
  if (type === "jsonb") return (row) => (row[name] === null ? null : JSON.stringify(row[name]));
  return (row) => row[name] as ColumnValue;
}

/** The array type a parameter travels as, and the cast that turns an element into the column's type. */
function parameterType(type: ColumnType): { array: string; cast: string } {
  if (type === "timestamp") return { array: "text[]", cast: "::timestamp(3)" };
  if (type === "jsonb") return { array: "text[]", cast: "::jsonb" };
  if (type.startsWith("enum:")) return { array: "text[]", cast: `::"${type.slice(5)}"` };
  return { array: `${type}[]`, cast: "" };
}

function encode(value: ColumnValue): string | number | boolean | null {
  return value instanceof Date ? value.toISOString() : value;
}

/** `unnest($1::type[], …) AS v(c0, …)`: the rows as a table, one parameter per column. */
function rowsAsTable<Row>(columns: Column<Row>[], rows: Row[]): Prisma.Sql {
  const arrays = columns.map((column) => {
    const values = rows.map((row) => encode(column.value(row)));
    return Prisma.sql`${values}::${Prisma.raw(parameterType(column.type).array)}`;
  });
  return Prisma.sql`unnest(${Prisma.join(arrays)}) AS v(${Prisma.raw(columns.map((_, i) => `c${i}`).join(", "))})`;
}

const castValue = (column: Column<never>, i: number) => `v.c${i}${parameterType(column.type).cast}`;

/** Inserts the rows (`onConflict: "ignore"` skips those a unique constraint already has). */
export function insertRows<Row>(
  table: string,
  columns: Column<Row>[],
  rows: Row[],
  options: { onConflict?: "ignore" } = {},
): Prisma.Sql | null {
  if (rows.length === 0) return null;
  const names = columns.map((c) => `"${c.name}"`).join(", ");
  const values = columns.map((c, i) => castValue(c as Column<never>, i)).join(", ");
  const conflict = options.onConflict === "ignore" ? " ON CONFLICT DO NOTHING" : "";
  const into = Prisma.raw(`"${table}" (${names})`);
  const source = rowsAsTable(columns, rows);
  return Prisma.sql`INSERT INTO ${into} SELECT ${Prisma.raw(values)} FROM ${source}${Prisma.raw(conflict)}`;
}

/**
 * Sets `columns` of each row of `table` whose `key` matches; `updatedAt` (Prisma's @updatedAt,
 * which raw SQL does not maintain) to now when asked.
 */
export function updateRows<Row>(
  table: string,
  key: Column<Row>,
  columns: Column<Row>[],
  rows: Row[],
  options: { touchUpdatedAt?: boolean } = {},
): Prisma.Sql | null {
  if (rows.length === 0) return null;
  const sets = columns.map((column, i) => {
    const value = castValue(column as Column<never>, i + 1);
    return `"${column.name}" = ${column.keepWhenNull ? `COALESCE(${value}, t."${column.name}")` : value}`;
  });
  if (options.touchUpdatedAt) sets.push(`"updatedAt" = now()`);
  const target = Prisma.raw(`"${table}" AS t SET ${sets.join(", ")}`);
  const match = Prisma.raw(`t."${key.name}" = ${castValue(key as Column<never>, 0)}`);
  return Prisma.sql`UPDATE ${target} FROM ${rowsAsTable([key, ...columns], rows)} WHERE ${match}`;
}

/** Deletes the rows whose `key` column (a uuid) is one of `ids`. */
export function deleteRows(table: string, key: string, ids: string[]): Prisma.Sql | null {
  if (ids.length === 0) return null;
  // Compared as uuids: a cast of the column would keep the delete from its index.
  return Prisma.sql`DELETE FROM ${Prisma.raw(`"${table}" WHERE "${key}"`)} = ANY(${ids}::uuid[])`;
}

/** Runs the writes (nulls: nothing to write) as one statement. */
export async function writeAll(tx: Transaction, writes: (Prisma.Sql | null)[]): Promise<void> {
  const parts = writes.filter((w): w is Prisma.Sql => w !== null);
  if (parts.length === 0) return;
  if (parts.length === 1) {
    await tx.$executeRaw(parts[0]!);
    return;
  }
  const ctes = parts.map((part, i) => Prisma.sql`${Prisma.raw(`w${i}`)} AS (${part})`);
  await tx.$executeRaw(Prisma.sql`WITH ${Prisma.join(ctes)} SELECT 1`);
}
