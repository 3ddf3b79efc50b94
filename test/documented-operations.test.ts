// Every GraphQL document in README.md and docs/*.md is valid against the schema (issue 12, point 4):
// a field renamed, an argument added or a conflicting selection fails here, not in a reader's GraphiQL.
// The README's operations are also executed against a running API: test/walkthrough.test.ts. And the
// documentation names only commands that exist, one simulator port, and files of this repository.
import fs from "node:fs";
import path from "node:path";
import { validate } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../src/schema/index.ts";
import { documentationFiles, graphqlBlocks, operationsOf } from "./support/documented-operations.ts";
import { REPOSITORY, runSwitchboard } from "./support/switchboard-process.ts";

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

describe("the documentation's references", () => {
  const read = (file: string) => fs.readFileSync(path.join(REPOSITORY, file), "utf8");
  const texts = documentationFiles().map((file) => [file, read(file)] as const);

  it("points only at files of the repository", () => {
    const relative = texts.flatMap(([file, text]) =>
      // Markdown links that are not URLs, and paths out of the file's folder.
      [...text.matchAll(/\]\((?!https?:|#|mailto:)([^)\s#]+)|`(\.\.\/[^`\s]*)/g)].map((m) => ({
        file,
        target: (m[1] ?? m[2])!,
      })),
    );
    const missing = relative.filter(({ file, target }) => {
      const resolved = path.resolve(REPOSITORY, path.dirname(file), target);
      return !resolved.startsWith(REPOSITORY) || !fs.existsSync(resolved);
    });
    expect(missing).toEqual([]);
  });

  it("names only switchboard commands that exist", async () => {
    const help = await runSwitchboard(["--help"], {});
    const listed = new Set([...help.output.matchAll(/^ {2}(\w+)/gm)].map((m) => m[1]));
    const named = new Set(texts.flatMap(([, text]) => [...text.matchAll(/switchboard (\w+)/g)].map((m) => m[1]!)));
    expect([...named].filter((command) => !listed.has(command))).toEqual([]);
  });

  it("runs the simulator on the port the CLI defaults to, everywhere", () => {
    const host = String.raw`(?:127\.0\.0\.1|localhost)`;
    const simulatorPorts = new RegExp(
      String.raw`simulator --port (\d+)|SIM=http://${host}:(\d+)|listening on http://${host}:(\d+)|` +
        String.raw`"server":"http://${host}:(\d+)|${host}:(\d+)/__sim`,
      "g",
    );
    const ports = texts.flatMap(([, text]) => [...text.matchAll(simulatorPorts)].map((m) => m.slice(1).find(Boolean)));
    expect(new Set(ports)).toEqual(new Set(["4010"]));
  });
});
