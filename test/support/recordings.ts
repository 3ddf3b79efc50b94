// Helpers of the recording and voicemail tests: the download endpoint mounted on a tiny server
// (as src/server.ts will mount it), the audio as the simulator serves it, and waiting for events.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SDK } from "@ringcentral/sdk";
import type { App } from "../../src/app.ts";
import { createLogger } from "../../src/logger.ts";
import { handleDownload } from "../../src/downloads.ts";
import type { Simulator } from "./simulator.ts";
import { startTestApi, subscribe } from "./api.ts";
import { seedInbox } from "./seed.ts";
import { startTestSimulator, startTestWorker } from "./simulator.ts";

/** A logged-in SDK for the simulator's admin (what the worker's connection uses). */
export async function simulatorSdk(sim: Simulator): Promise<SDK> {
  const { clientId, clientSecret, jwt } = sim.credentials();
  const sdk = new SDK({ server: sim.url, clientId, clientSecret, cachePrefix: `rec-${crypto.randomUUID()}` });
  await sdk.platform().login({ jwt });
  return sdk;
}

/** `GET /files/recordings/<id>` served by handleDownload, fetching through the SDK. */
export async function startDownloadServer(app: App, sdk: SDK) {
  const server = http.createServer((req, res) => {
    void (async () => {
      const handled = await handleDownload(req, res, {
        prisma: app.db.prisma,
        log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
        fetchContent: (contentUri) => sdk.platform().get(contentUri),
      });
      if (!handled) res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get: (path: string, token?: string) =>
      fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The bytes RingCentral (the simulator) serves at a content URI, and its Content-Length header. */
export async function contentOf(
  sdk: SDK,
  contentUri: string,
): Promise<{ bytes: Buffer; contentLength: string | null }> {
  const response = await sdk.platform().get(contentUri);
  return { contentLength: response.headers.get("content-length"), bytes: Buffer.from(await response.arrayBuffer()) };
}

type Subscription = ReturnType<typeof subscribe>;
export type ConversationEvent = { type: string; payload: Record<string, unknown>; conversation: { id: string } | null };

/** The conversationEvents received so far. */
export function eventsOf(sub: Subscription): ConversationEvent[] {
  return sub.received.map((r) => (r.data as { conversationEvents: ConversationEvent }).conversationEvents);
}

/** Waits (on the subscription, no polling) until an event satisfies `test`; returns it. */
export async function waitForEvent(
  sub: Subscription,
  test: (event: ConversationEvent) => boolean,
): Promise<ConversationEvent> {
  for (;;) {
    const found = eventsOf(sub).find(test);
    if (found) return found;
    if (sub.error) throw new Error(`subscription failed: ${JSON.stringify(sub.error)}`);
    await sub.until(sub.received.length + 1);
  }
}

export const CONVERSATION_EVENTS = `subscription($inbox: ID!) { conversationEvents(inboxId: $inbox, after: "0") {
  type payload conversation { id } } }`;

/**
 * A recorded line: the simulator, the API, a worker, one direct number connected as a VOICE channel
 * in an inbox with an insider (and an outsider elsewhere), the download endpoint, and the
 * insider's conversationEvents — what the recording and voicemail tests share.
 */
export async function startRecordedLine(label: string, directNumber: string) {
  const sim = await startTestSimulator();
  const api = await startTestApi();
  const admin = await api.createUser("ADMIN", `${label}-admin`);
  const insider = await api.createUser("AGENT", `${label}-insider`);
  const outsider = await api.createUser("AGENT", `${label}-outsider`);
  const inbox = await seedInbox(api.app, `${label} line`, [insider.id]);
  await seedInbox(api.app, "Elsewhere", [outsider.id]);
  const { worker } = await startTestWorker(api.app, sim);
  const connection = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
  await api.app.db.prisma.channel.create({
    data: { type: "VOICE", phoneNumber: directNumber, inboxId: inbox.id, connectionId: connection.id },
  });
  await worker.reconcile();
  const sdk = await simulatorSdk(sim);
  const downloads = await startDownloadServer(api.app, sdk);
  const events = subscribe(api.wsClient(insider.token), CONVERSATION_EVENTS, { inbox: inbox.globalId });
  return {
    sim,
    api,
    worker,
    sdk,
    downloads,
    admin,
    insider,
    outsider,
    inbox,
    events,
    async close() {
      events.unsubscribe();
      await downloads.close();
      await sdk
        .platform()
        .logout()
        .catch(() => {});
      await worker.close();
      await api.close();
      await sim.close();
    },
  };
}
