// `npm run codegen`: prints schema.graphql from the Pothos schema (checked in; test/schema.test.ts
// fails when it is stale) and generates typed documents from test/documents/*.graphql for the tests.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "./src/schema/index.ts",
  documents: ["test/documents/**/*.graphql"],
  ignoreNoDocuments: true,
  emitLegacyCommonJSImports: false,
  generates: {
    "schema.graphql": { plugins: ["schema-ast"], config: { includeDirectives: false, sort: true } },
    "test/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", JSONObject: "Record<string, unknown>" },
      },
    },
  },
};

export default config;
