// The GraphQL documents the README and docs/*.md show, extracted from their ```graphql blocks so that
// tests can validate every one against the schema and execute the README's own text; and the README's
// ```sh blocks, which tests run as written.
import fs from "node:fs";
import path from "node:path";
import { Kind, parse, print, type DocumentNode, type OperationDefinitionNode } from "graphql";
import { REPOSITORY } from "./switchboard-process.ts";

export interface FencedBlock {
  /** Relative to the repository, e.g. "README.md". */
  file: string;
  /** 1-based line of the block's first line of content. */
  line: number;
  source: string;
}

export type GraphqlBlock = FencedBlock;

/** README.md and every Markdown file under docs/. */
export function documentationFiles(): string[] {
  const docs = fs.readdirSync(path.join(REPOSITORY, "docs")).filter((name) => name.endsWith(".md"));
  return ["README.md", ...docs.sort().map((name) => `docs/${name}`)];
}

export function graphqlBlocks(file: string): GraphqlBlock[] {
  return fencedBlocks(file, "graphql");
}

/** The ```<language> blocks of `file`; with `section`, only those under the `## ` heading that starts with it. */
export function fencedBlocks(file: string, language: string, section?: string): FencedBlock[] {
  const lines = fs.readFileSync(path.join(REPOSITORY, file), "utf8").split("\n");
  let inSection = section === undefined;
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (section !== undefined && lines[i]!.startsWith("## ")) inSection = lines[i]!.startsWith(`## ${section}`);
    if (!inSection || lines[i]!.trim() !== `\`\`\`${language}`) continue;
    const end = lines.findIndex((line, j) => j > i && line.trim() === "```");
    if (end < 0) throw new Error(`${file}:${i + 1}: unterminated ${language} block`);
    blocks.push({ file, line: i + 2, source: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

/** One document per operation of the block (a block may show several), with the block's fragments. */
export function operationsOf(block: GraphqlBlock): { operation: OperationDefinitionNode; document: DocumentNode }[] {
  const { definitions } = parse(block.source);
  const fragments = definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  return definitions
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({ operation, document: { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] } }));
}

/** The README operation named `name` (README operations that tests execute are named), as text. */
export function readmeOperation(name: string): string {
  const found = graphqlBlocks("README.md")
    .flatMap(operationsOf)
    .filter(({ operation }) => operation.name?.value === name);
  if (found.length !== 1) throw new Error(`README.md has ${found.length} operations named ${name}, expected 1`);
  return print(found[0]!.document);
}
