// The contract between the simulator's platform (HTTP/WS server, auth, subscriptions, control API)
// and its feature modules (telephony, call log, recordings, messages, presence). Feature modules
// export `RouteModule`s; the platform routes requests to them and delivers what they publish.

import type { IncomingHttpHeaders } from "node:http";

export type ThrottlingGroup = "Light" | "Medium" | "Heavy" | "Auth";

export interface SimExtension {
  id: string;
  extensionNumber: string;
  name: string;
  /** Users have an email; IVR menus and call queues do not. */
  email?: string;
  type: "User" | "IvrMenu" | "Department";
  status: "Enabled" | "Disabled";
  /** Whether the authz profile grants admin permissions (R2.1). */
  admin: boolean;
  /** Call-queue (Department) members: extension ids. */
  members?: string[];
}

export interface SimPhoneNumber {
  id: string;
  phoneNumber: string; // E.164
  label?: string;
  usageType: "MainCompanyNumber" | "CompanyNumber" | "DirectNumber" | "AdditionalCompanyNumber";
  type: "VoiceFax" | "VoiceOnly" | "FaxOnly";
  features: string[]; // e.g. "CallerId", "SmsSender", "MmsSender"
  /** The extension the number routes to (a user, an IVR menu or a call queue). */
  extensionId?: string;
}

export interface SimAccount {
  id: string;
  mainNumber: string;
  extensions: SimExtension[];
  phoneNumbers: SimPhoneNumber[];
}

export interface SimRequest {
  method: string;
  /** Path without query string. */
  path: string;
  /** Named parameters from the route pattern (`:accountId`, `:sessionId`, ...); `~` already resolved. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed body: JSON object, urlencoded form as an object, or multipart parts. */
  body: unknown;
  rawBody: Buffer;
  /** The authenticated caller, for `/restapi/v1.0/**` routes (null on control routes). */
  auth: { accountId: string; extensionId: string } | null;
  /** Set when the request arrived as a WebSocket `ClientRequest` (REST over WS) on that WS session. */
  wsSessionId?: string;
}

export interface SimResponse {
  status: number;
  json?: unknown;
  body?: Buffer | string;
  headers?: Record<string, string>;
}

export interface SimContext {
  /** The seeded account(s), keyed by account id. */
  accounts: Map<string, SimAccount>;
  /** Deliver a notification to every subscription whose event filters match `event`. */
  publish(event: string, body: unknown): void;
  /** Absolute base URL of the simulator (for `uri` fields and content links). */
  baseUrl(): string;
  now(): Date;
  /** Unique ids in RingCentral's styles. */
  newId(prefix?: string): string;
}

export type RouteHandler = (req: SimRequest, ctx: SimContext) => SimResponse | Promise<SimResponse>;

export interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** e.g. `/restapi/v1.0/account/:accountId/telephony/sessions/:telephonySessionId` */
  path: string;
  handler: RouteHandler;
  /** Rate-limit group from the OpenAPI `x-throttling-group`; control routes have none. */
  throttlingGroup?: ThrottlingGroup;
}

export interface RouteModule {
  name: string;
  routes: Route[];
  /** Reset the module's state for the simulator of `ctx` (control API `POST /__sim/reset`). */
  reset?(ctx: SimContext): void;
}

/** One part of a `multipart/form-data` body (`SimRequest.body` is `MultipartPart[]` for those). */
export interface MultipartPart {
  name: string;
  filename?: string;
  contentType: string;
  data: Buffer;
}

/** RingCentral's standard error body ([DOCS] `code-samples/basics/sample-error.json`). */
export interface ApiErrorBody {
  errorCode: string;
  message: string;
  errors: Array<{ errorCode: string; message: string; parameterName?: string; parameterValue?: string }>;
}

/** A response in RingCentral's error shape: `{errorCode, message, errors:[{errorCode, message, parameterName?}]}`. */
export function apiError(
  status: number,
  errorCode: string,
  message: string,
  parameterName?: string,
  headers?: Record<string, string>,
): SimResponse {
  const detail = parameterName ? { errorCode, message, parameterName } : { errorCode, message };
  const json: ApiErrorBody = { errorCode, message, errors: [detail] };
  return headers ? { status, json, headers } : { status, json };
}

/** 404 for an id that names nothing (`CMN-102 Resource for parameter [x] is not found`). */
export function notFound(parameterName: string): SimResponse {
  return apiError(404, "CMN-102", `Resource for parameter [${parameterName}] is not found`, parameterName);
}

/** 400 for a missing or malformed field (`CMN-101 Parameter [x] value is invalid`). */
export function invalidParameter(
  parameterName: string,
  message = `Parameter [${parameterName}] value is invalid`,
): SimResponse {
  return apiError(400, "CMN-101", message, parameterName);
}

/**
 * Thrown from a handler to answer with an error response; the platform turns it into the
 * response, so deep helpers need not thread `SimResponse` values back up.
 */
export class SimHttpError extends Error {
  constructor(readonly response: SimResponse) {
    super(`simulated ${response.status}`);
  }
}
