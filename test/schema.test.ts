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

// Requirement ids such as "R2.5" name sections of our internal PRODUCT.md; API users cannot look them up.
const REQUIREMENT_ID = /\bR\d+(\.\d+)?\b/;

function descriptionsCitingRequirementIds(): string[] {
  const described: [string, string | null | undefined][] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__")) continue;
    described.push([type.name, type.description]);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        described.push([`${type.name}.${field.name}`, field.description]);
        for (const arg of "args" in field ? field.args : []) {
          described.push([`${type.name}.${field.name}(${arg.name})`, arg.description]);
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) described.push([`${type.name}.${value.name}`, value.description]);
    }
  }
  for (const directive of schema.getDirectives()) {
    described.push([`@${directive.name}`, directive.description]);
    for (const arg of directive.args) described.push([`@${directive.name}(${arg.name})`, arg.description]);
  }
  return described
    .filter(([, description]) => description && REQUIREMENT_ID.test(description))
    .map(([coordinate, description]) => `${coordinate}: ${description}`);
}

describe("schema", () => {
  it("matches the checked-in schema.graphql (run `npm run codegen` after changing it)", () => {
    const checkedIn = fs.readFileSync(new URL("../schema.graphql", import.meta.url), "utf8");
    expect(printSchema(lexicographicSortSchema(schema)).trim()).toBe(checkedIn.trim());
  });

  it("describes every type, field, argument and enum value", () => {
    expect(undocumented()).toEqual([]);
  });

  it("keeps internal requirement ids (R2.5 and the like) out of every description", () => {
    expect(descriptionsCitingRequirementIds()).toEqual([]);
  });

  it("exposes every entity of the product as a GraphQL type", () => {
    const types = Object.keys(schema.getTypeMap());
    for (const model of PRISMA_MODELS) expect(types).toContain(model);
  });
});
