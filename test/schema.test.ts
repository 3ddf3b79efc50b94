import fs from "node:fs";
import { describe, expect, it } from "vitest";
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  printSchema,
  lexicographicSortSchema,
} from "graphql";
import { schema } from "../src/schema/index.ts";

const PRISMA_MODELS = [
  "User",
  "Inbox",
  "Channel",
  "Conversation",
  "Call",
  "CallParty",
  "Recording",
  "Message",
  "Attachment",
  "Contact",
  "ContactPhone",
  "Comment",
  "Activity",
  "Tag",
  "ApiToken",
  "Rule",
  "CsatResponse",
  "MessageTemplate",
];

function undocumented(): string[] {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || ["String", "Int", "Float", "Boolean", "ID"].includes(type.name)) continue;
    if (!type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of "args" in field ? field.args : []) {
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
    if (isUnionType(type) && !type.description) missing.push(type.name);
  }
  return missing;
}

describe("schema", () => {
  it("matches the checked-in schema.graphql (run `npm run codegen` after changing it)", () => {
    const checkedIn = fs.readFileSync(new URL("../schema.graphql", import.meta.url), "utf8");
    expect(printSchema(lexicographicSortSchema(schema)).trim()).toBe(checkedIn.trim());
  });

  it("describes every type, field, argument and enum value", () => {
    expect(undocumented()).toEqual([]);
  });

  it("exposes every entity of the product as a GraphQL type", () => {
    const types = Object.keys(schema.getTypeMap());
    for (const model of PRISMA_MODELS) expect(types).toContain(model);
  });
});
