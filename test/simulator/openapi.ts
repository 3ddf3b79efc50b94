// Validates simulator responses against RingCentral's published OpenAPI 3.0 description
// (../shared/ringcentral/openapi3.json, v1.0.46). The spec inlines every schema (no $refs), so a
// response schema can be handed to ajv as it is; OpenAPI-only keywords (`example`, `x-*`) are
// tolerated by running ajv in non-strict mode.
//
//   expectMatchesOpenApi("GET", "/restapi/v1.0/account/{accountId}/extension", 200, json);
//   expectMatchesOpenApi("GET", "/restapi/v1.0/account/~/extension/101", 200, json); // concrete path
//   expectMatchesOpenApi("POST", "/restapi/v1.0/subscription", 200, json, { noUnknownProperties: true });

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

const SPEC_PATH = fileURLToPath(new URL("../../../shared/ringcentral/openapi3.json", import.meta.url));

type JsonSchema = Record<string, unknown>;
interface OpenApiOperation {
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
  "x-throttling-group"?: string;
}
interface OpenApiSpec {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

let cachedSpec: OpenApiSpec | undefined;
function spec(): OpenApiSpec {
  cachedSpec ??= JSON.parse(readFileSync(SPEC_PATH, "utf8")) as OpenApiSpec;
  return cachedSpec;
}

// ISO 8601 as RingCentral writes it ("2020-09-07T21:50:02.737Z" or "...+0000").
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  ajv.addFormat("date-time", DATE_TIME);
  ajv.addFormat("datetime", DATE_TIME);
  ajv.addFormat("date", /^\d{4}-\d{2}-\d{2}$/);
  // Formats that only describe numbers' widths or are documentation: accept anything of the type.
  for (const format of ["int32", "int64", "double", "binary", "file", "uri", "email"]) {
    ajv.addFormat(format, true);
  }
  return ajv;
}

const ajv = newAjv();
const compiled = new Map<string, ValidateFunction>();

/**
 * Finds the spec's path template for a template or a concrete path. A `{param}` segment in the spec
 * matches any one segment; among several matches the one with the most literal segments wins
 * (so `/extension/{extensionId}/phone-number` beats `/extension/{extensionId}/{x}` style clashes).
 */
export function findSpecPath(method: string, pathOrTemplate: string): string {
  const wanted = pathOrTemplate.split("?")[0]!.replace(/\/+$/, "").split("/");
  const lowerMethod = method.toLowerCase();
  let best: { path: string; literals: number } | undefined;
  for (const [template, operations] of Object.entries(spec().paths)) {
    if (!operations[lowerMethod]) continue;
    const segments = template.split("/");
    if (segments.length !== wanted.length) continue;
    let literals = 0;
    let matches = true;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment.startsWith("{") && segment.endsWith("}")) continue;
      if (segment !== wanted[i]) {
        matches = false;
        break;
      }
      literals++;
    }
    if (matches && (!best || literals > best.literals)) best = { path: template, literals };
  }
  if (!best) throw new Error(`OpenAPI description has no ${method} ${pathOrTemplate}`);
  return best.path;
}

/** The response schema the spec gives for a method, path and status (falls back to `default`). */
export function responseSchema(method: string, pathOrTemplate: string, status: number): JsonSchema {
  const template = findSpecPath(method, pathOrTemplate);
  const operation = spec().paths[template]![method.toLowerCase()]!;
  const response = operation.responses?.[String(status)] ?? operation.responses?.default;
  if (!response) throw new Error(`OpenAPI ${method} ${template} documents no ${status} response`);
  const content = response.content ?? {};
  const media = content["application/json"] ?? Object.values(content)[0];
  if (!media?.schema) throw new Error(`OpenAPI ${method} ${template} ${status} has no JSON schema`);
  return media.schema;
}

/** The `x-throttling-group` the spec assigns to a method and path, if any. */
export function throttlingGroup(method: string, pathOrTemplate: string): string | undefined {
  const template = findSpecPath(method, pathOrTemplate);
  return spec().paths[template]![method.toLowerCase()]!["x-throttling-group"];
}

/** A copy of a schema where every object with declared properties rejects undeclared ones. */
function withoutUnknownProperties(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutUnknownProperties);
  if (!schema || typeof schema !== "object") return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    copy[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, withoutUnknownProperties(v)]))
        : withoutUnknownProperties(value);
  }
  const combines = "allOf" in copy || "oneOf" in copy || "anyOf" in copy;
  if (copy.properties && copy.additionalProperties === undefined && !combines) copy.additionalProperties = false;
  return copy;
}

export interface OpenApiCheckOptions {
  /** Also fail on properties the spec does not declare (catches typos in field names). */
  noUnknownProperties?: boolean;
}

function validatorFor(method: string, pathOrTemplate: string, status: number, options: OpenApiCheckOptions) {
  const key =
    `${method.toUpperCase()} ${findSpecPath(method, pathOrTemplate)} ${status} ` +
    `${options.noUnknownProperties ? "closed" : "open"}`;
  let validate = compiled.get(key);
  if (!validate) {
    const schema = responseSchema(method, pathOrTemplate, status);
    validate = ajv.compile(options.noUnknownProperties ? (withoutUnknownProperties(schema) as JsonSchema) : schema);
    compiled.set(key, validate);
  }
  return validate;
}

/** Validation errors, empty when the JSON matches. */
export function openApiErrors(
  method: string,
  pathOrTemplate: string,
  status: number,
  json: unknown,
  options: OpenApiCheckOptions = {},
): ErrorObject[] {
  const validate = validatorFor(method, pathOrTemplate, status, options);
  return validate(json) ? [] : [...(validate.errors ?? [])];
}

/** Throws (failing the test) with readable errors when `json` does not match the spec's schema. */
export function expectMatchesOpenApi(
  method: string,
  pathOrTemplate: string,
  status: number,
  json: unknown,
  options: OpenApiCheckOptions = {},
): void {
  const errors = openApiErrors(method, pathOrTemplate, status, json, options);
  if (errors.length === 0) return;
  const lines = errors.map(
    (e) => `  ${e.instancePath || "(root)"} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`,
  );
  throw new Error(
    `${method} ${pathOrTemplate} ${status} does not match ${findSpecPath(method, pathOrTemplate)} in ` +
      `openapi3.json:\n${lines.join("\n")}\n` +
      `body: ${JSON.stringify(json).slice(0, 2000)}`,
  );
}
