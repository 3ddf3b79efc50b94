// SMS test set-up: the API on real PostgreSQL + Redis with an SmsSender over the real
// @ringcentral/sdk logged in to the in-process RingCentral simulator, and the attachment download
// route on the same HTTP server — the wiring src/app.ts gives them. Also: helpers for the
// simulator's control API and GraphQL multipart uploads.
import type { AddressInfo } from "node:net";
import { print, type ExecutionResult } from "graphql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { SDK } from "@ringcentral/sdk";
import { openDatabase } from "../../src/db.ts";
import { createPubSub } from "../../src/pubsub.ts";
import { createLogger } from "../../src/logger.ts";
import { createApiServer } from "../../src/server.ts";
import type { App } from "../../src/app.ts";
import { createUser } from "../../src/domain/users.ts";
import { createApiToken } from "../../src/domain/tokens.ts";
import type { InboundMessageInput, SmsSender } from "../../src/domain/messages.ts";
import { createSmsSender } from "../../src/integrations/ringcentral/sms.ts";
import { handleFileDownload } from "../../src/files.ts";
import { startSimulator, type Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { createTestDatabase } from "./database.ts";
import { redisUrl } from "./services.ts";
import { globalId } from "./api.ts";

/** The default simulator account's admin extension and its SMS/MMS-capable direct number. */
export const SIM_SMS_NUMBER = "+19043014558";

export async function startSmsSimulator(): Promise<{ sim: Simulator; sdk: SDK }> {
  const sim = await startSimulator({ port: 0, rateLimits: { Auth: { limit: 1000 }, Medium: { limit: 1000 }, Light: { limit: 1000 } } });
  const { clientId, clientSecret, jwt } = sim.credentials();
  const sdk = new SDK({ server: sim.url, clientId, clientSecret, cachePrefix: `sms-test-${crypto.randomUUID()}-` });
  await sdk.platform().login({ jwt });
  return { sim, sdk };
}

export async function simControl<T = any>(sim: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as T };
}

/** What RingCentral (the simulator) received from the app. */
export async function sentToRingCentral(sim: Simulator): Promise<any[]> {
  return (await simControl(sim, "GET", "/__sim/sent-messages")).json.records;
}

export interface SmsTestApi {
  app: App;
  url: string;
  request<R, V>(document: TypedDocumentNode<R, V> | string, variables?: V, token?: string): Promise<ExecutionResult<R>>;
  /** A GraphQL multipart request (uploads): `files` maps a variable path like `attachments.0` to a file. */
  upload<R>(query: string, variables: Record<string, unknown>, files: Record<string, File>, token: string): Promise<ExecutionResult<R>>;
  wsClient(token?: string): Client;
  createUser(role: "ADMIN" | "AGENT", name?: string): Promise<{ id: string; globalId: string; token: string; email: string }>;
  close(): Promise<void>;
}

export async function startSmsTestApi(options: { sdk?: SDK | null } = {}): Promise<SmsTestApi> {
  const database = await createTestDatabase();
  const db = await openDatabase({ databaseUrl: database.url, dataDir: "" });
  const pubsub = createPubSub(redisUrl);
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? "silent");
  const sdk = options.sdk ?? null;
  const sender: SmsSender | null = sdk ? createSmsSender(sdk.platform()) : null;
  const api = createApiServer({
    config: { limits: { maxDepth: 12, maxCost: 5000, maxAliases: 30, maxSubscriptionsPerSocket: 50 } },
    services: {
      prisma: db.prisma,
      pubsub,
      log,
      readiness: {},
      ...(sender ? { smsSender: async () => sender } : {}),
    },
    // The download route as src/app.ts mounts it, fetching content with the SDK's credentials.
    routes: sdk ? [(req, res) => handleFileDownload(req, res, { prisma: db.prisma, log, fetchContent: (uri) => sdk.platform().get(uri) })] : [],
  });
  await new Promise<void>((resolve) => api.server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  const app: App = {
    db,
    pubsub,
    api,
    url,
    close: async () => {
      await api.close();
      await pubsub.close();
      await db.close();
    },
  };
  const clients: Client[] = [];
  let users = 0;
  const auth = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  return {
    app,
    url,
    async request(document, variables, token) {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth(token) },
        body: JSON.stringify({ query: typeof document === "string" ? document : print(document), variables }),
      });
      return (await response.json()) as ExecutionResult<never>;
    },
    async upload(query, variables, files, token) {
      const form = new FormData();
      form.append("operations", JSON.stringify({ query, variables }));
      const keys = Object.keys(files);
      form.append("map", JSON.stringify(Object.fromEntries(keys.map((path, i) => [String(i), [`variables.${path}`]]))));
      keys.forEach((path, i) => form.append(String(i), files[path]!));
      const response = await fetch(`${url}/graphql`, { method: "POST", headers: auth(token), body: form });
      return (await response.json()) as ExecutionResult<never>;
    },
    wsClient(token) {
      const client = createClient({
        url: `${url.replace("http", "ws")}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    },
    async createUser(role, name) {
      users += 1;
      const label = name ?? `${role.toLowerCase()}${users}`;
      const user = await createUser(db.prisma, { email: `${label}@example.com`, name: label, role });
      const { token } = await createApiToken(db.prisma, user.id, "test");
      return { id: user.id, globalId: globalId("User", user.id), token, email: user.email };
    },
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.close();
      await database.drop();
    },
  };
}

/**
 * A customer texts one of our numbers: the simulator stores the message and notifies; this returns
 * the domain input the worker builds from RingCentral's message (media attachments only).
 */
export async function receiveSmsFromSimulator(
  sim: Simulator,
  sms: { from: string; to: string; text?: string; fromName?: string; attachments?: { contentType: string; fileName: string; base64: string }[] },
): Promise<InboundMessageInput> {
  const { status, json } = await simControl(sim, "POST", "/__sim/sms/inbound", sms);
  if (status !== 201) throw new Error(`the simulator refused the inbound SMS: ${JSON.stringify(json)}`);
  return {
    ringCentralId: String(json.id),
    channelNumber: json.to[0].phoneNumber,
    from: json.from.phoneNumber,
    text: json.subject ?? "",
    attachments: json.attachments
      .filter((a: any) => a.type === "MmsAttachment")
      .map((a: any) => ({ ringCentralId: String(a.id), contentType: a.contentType, fileName: a.fileName ?? null, sizeBytes: a.size ?? null, contentUri: a.uri })),
    createdAt: new Date(json.creationTime),
  };
}
