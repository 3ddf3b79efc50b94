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
  /** Reset the module's state (control API `POST /__sim/reset`). */
  reset?(): void;
}
