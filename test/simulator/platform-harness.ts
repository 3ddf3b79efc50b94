// Shared set-up for the simulator platform tests: a simulator per test file on port 0, real SDK
// instances pointed at it, and small wrappers around the control API.

import { randomUUID } from "node:crypto";
import { SDK } from "@ringcentral/sdk";
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from "../../src/integrations/ringcentral/simulator/index.ts";

export async function startTestSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  // Generous Auth limits: the tests log in far more often than one worker would.
  return startSimulator({ port: 0, ...options, rateLimits: { Auth: { limit: 1000 }, ...options.rateLimits } });
}

/** A real SDK for the simulator's app, with its own token cache (the SDK's default storage is shared). */
export function sdkFor(sim: Simulator, extra: Record<string, unknown> = {}): SDK {
  const { clientId, clientSecret } = sim.credentials();
  return new SDK({
    server: sim.url,
    clientId,
    clientSecret,
    cachePrefix: `test-${randomUUID()}-`,
    refreshDelayMs: 1,
    ...extra,
  });
}

export async function loggedInSdk(
  sim: Simulator,
  jwt = sim.credentials().jwt,
  extra: Record<string, unknown> = {},
): Promise<SDK> {
  const sdk = sdkFor(sim, extra);
  await sdk.platform().login({ jwt });
  return sdk;
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  json: T;
}

/** A plain fetch returning status, headers and parsed JSON (null for empty bodies). */
export async function request<T = any>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : null) as T };
}

export function control<T = any>(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonResponse<T>> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  return request<T>(`${sim.url}${path}`, init);
}

export function basicAuth(sim: Simulator, secret = sim.credentials().clientSecret): string {
  return `Basic ${Buffer.from(`${sim.credentials().clientId}:${secret}`).toString("base64")}`;
}

/** POST /restapi/oauth/token with a form body, as the SDK would. */
export function tokenRequest(
  sim: Simulator,
  form: Record<string, string>,
  authorization = basicAuth(sim),
): Promise<JsonResponse> {
  return request(`${sim.url}/restapi/oauth/token`, {
    method: "POST",
    headers: { Authorization: authorization, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
}

export async function accessToken(sim: Simulator, jwt = sim.credentials().jwt): Promise<string> {
  const response = await tokenRequest(sim, {
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    assertion: jwt,
  });
  if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(response.json)}`);
  return response.json.access_token;
}

/** GET/PUT/... a /restapi path with a bearer token. */
export function api<T = any>(
  sim: Simulator,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  return request<T>(`${sim.url}${path}`, init);
}

/** The RingCentral error body shape every non-OAuth error must have. */
export function isApiErrorBody(json: any): boolean {
  return (
    typeof json?.errorCode === "string" &&
    typeof json?.message === "string" &&
    Array.isArray(json?.errors) &&
    json.errors.every((e: any) => typeof e.errorCode === "string" && typeof e.message === "string")
  );
}
