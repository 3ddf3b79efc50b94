// The REST calls the worker makes, as a narrow interface. The SDK's Platform fits it as is; in
// production it is the connection's RingCentralClient, so every call goes through the per-user
// rate limiter (Retry-After), retries, and the JWT re-login after a failed refresh.
import type { RingCentralClient } from "./client.ts";

export interface RestResponse {
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export interface RestApi {
  get(path: string, query?: Record<string, unknown>): Promise<RestResponse>;
  post(path: string, body?: unknown): Promise<RestResponse>;
  delete(path: string): Promise<RestResponse>;
}

const parsedResponse = (value: unknown): RestResponse => ({
  json: async () => value,
  text: async () => (typeof value === "string" ? value : JSON.stringify(value ?? null)),
});

export function restApiOf(client: RingCentralClient): RestApi {
  return {
    get: (path, query) => client.requestRaw("GET", path, { query: query as never }),
    post: async (path, body) => parsedResponse(await client.request("POST", path, body)),
    delete: async (path) => parsedResponse(await client.request("DELETE", path)),
  };
}
