// Every GraphQL document in README.md and docs/*.md is valid against the schema (issue 12, point 4):
// a field renamed, an argument added or a conflicting selection fails here, not in a reader's GraphiQL.
// The README's operations are also executed against a running API: test/walkthrough.test.ts.
import { validate } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../src/schema/index.ts";
import { documentationFiles, graphqlBlocks, operationsOf } from "./support/documented-operations.ts";

const blocks = documentationFiles().flatMap(graphqlBlocks);

describe("GraphQL documents in the documentation", () => {
  it("finds the README's documents", () => {
    expect(blocks.filter((block) => block.file === "README.md").length).toBeGreaterThanOrEqual(10);
  });

  it.each(blocks.map((block) => [`${block.file}:${block.line}`, block] as const))("%s validates", (_where, block) => {
    const operations = operationsOf(block);
    expect(operations.length).toBeGreaterThan(0);
    for (const { document } of operations) {
      expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    }
  });
});
