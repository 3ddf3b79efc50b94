// The RingCentral worker (R2.4, R9.3): for every connection with a connected channel, one SDK,
// one WebSocket subscription carrying all the event filters needed, and a dispatcher that turns
// notifications into domain changes. Exactly one process runs a connection at a time (a lease).
import type { SDK } from "@ringcentral/sdk";
import type { Logger } from "../../logger.ts";
import type { IngestLimits } from "../../config.ts";
import type { Deps } from "../../domain/event-log.ts";
import type { CallDirectory, ExtensionInfo } from "../../domain/calls.ts";
import { archiveInactiveConversations } from "../../domain/sms/inactivity.ts";
import { onChannelsChanged } from "../../domain/channels.ts";
import { recordSubscriptionState, SUBSCRIPTION_ACTIVE, SUBSCRIPTION_LOST } from "../../domain/connections.ts";
import type { ConnectionLease, LeaseProvider } from "./lease.ts";
import { NotificationDispatcher } from "./dispatcher.ts";
import type { Envelope } from "./notifications.ts";
import { restApiOf, type RestApi } from "./rest.ts";
import type { RestWorkOptions } from "./rest-work.ts";
import type { RequestGate } from "./rate-limiter.ts";
import { RingCentralClient, type RingCentralClientOptions } from "./client.ts";
import {
  registerRecordingHandlers,
  syncRecentVoicemails,
  type RecordingHandlerOptions,
  type RecordingHandlers,
} from "./recordings.ts";
import { catchUpConnection } from "./catchup.ts";
import { presenceFilter, presenceHandler, syncPresence } from "./presence.ts";
import {
  connectionSyncStore,
  extensionOfEvent,
  instantSmsHandler,
  smsExtensionIds,
  syncAllMessages,
  syncMessages,
} from "./messaging.ts";
import { maintainWebhookSubscription, startWebhookSubscription } from "./webhooks.ts";
import { onSubscriptionGivenUp, openWebSocketSubscription, recoveryNeedsNewLogin } from "./subscription.ts";

/** What the worker needs from a logged-in connection (client.ts provides it). */
export interface ConnectionClient {
  /** For the WebSocket subscription (@ringcentral/subscriptions needs the SDK itself). */
  sdk: SDK;
  /** The rate limiter the subscription's own requests over the WebSocket go through. */
  webSocketRequests: RequestGate;
  /** Every other RingCentral call. */
  rest: RestApi;
  listExtensions(): Promise<ExtensionInfo[]>;
  close(): Promise<void>;
}

/** The production client as the worker uses it. */
export function asConnectionClient(client: RingCentralClient): ConnectionClient {
  return {
    sdk: client.subscriptionSdk(),
    webSocketRequests: client.webSocketRequests,
    rest: restApiOf(client),
    listExtensions: async () =>
      (await client.listExtensions()).map((e) => ({ id: e.id, type: e.type, email: e.email })),
    close: () => client.close(),
  };
}

/** A client logged in with the app's credentials and a JWT (tests, benchmarks, `switchboard sync`). */
export async function loggedInConnectionClient(options: RingCentralClientOptions): Promise<ConnectionClient> {
  const client = new RingCentralClient(options);
  await client.login();
  return asConnectionClient(client);
}

export type ConnectionClientFactory = (connectionId: string) => Promise<ConnectionClient>;

const systemClock = () => new Date();

/** Runs `sweep` from now on, until the function it returns is called. */
export type SweepSchedule = (sweep: () => Promise<void>) => () => void;

function everyMs(intervalMs: number): SweepSchedule {
  return (sweep) => {
    const timer = setInterval(() => void sweep(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  };
}

export interface WorkerOptions extends Deps {
  log: Logger;
  clients: ConnectionClientFactory;
  leases: LeaseProvider;
  /** How often to look for connections to start or stop, besides on every channel change announced
   * through pub/sub (which the API makes when a channel is connected or disconnected). */
  reconcileIntervalMs?: number;
  /** How often to archive SMS conversations past their channel's inactivity limit (R4.2). */
  sweepIntervalMs?: number;
  /** When the inactivity sweep runs (default: every `sweepIntervalMs`; tests run it by hand). */
  sweepSchedule?: SweepSchedule;
  /** The time the inactivity sweep measures inactivity against (default: the system clock). Tests
   * move it forward to see the running worker close conversations without waiting hours. */
  clock?: () => Date;
  /** Webhook mode (R9.3): RingCentral delivers to `address` (…/webhooks/ringcentral) instead of a
   * WebSocket. The worker keeps the subscription alive and, as message-store changes need a
   * session to read, syncs messages on the same timer. */
  webhook?: { address: string; maintainIntervalMs?: number; expiresInSeconds?: number };
  /** How many call notifications are applied at once (default: DEFAULT_INGEST_LIMITS of config.ts). */
  ingest?: IngestLimits;
  /** Retry timings of recordings and voicemail (src/integrations/ringcentral/recordings.ts). */
  recordings?: RecordingHandlerOptions;
  /** Backoff of REST work RingCentral rate-limits or cannot answer (rest-work.ts). */
  restWork?: RestWorkOptions;
}

/** The event filters of one subscription (REFERENCE §2.3): telephony for the account, SMS for the
 * extensions that own connected SMS numbers, voicemail for every user extension — with its
 * message-store changes, which is how a voicemail's transcription completing later is told — and
 * every user extension's presence (DND, on a call). */
export function eventFiltersFor(smsExtensionIds: string[], userExtensionIds: string[]): string[] {
  return [
    "/restapi/v1.0/account/~/telephony/sessions",
    ...smsExtensionIds.flatMap((id) => [
      `/restapi/v1.0/account/~/extension/${id}/message-store/instant?type=SMS`,
      `/restapi/v1.0/account/~/extension/${id}/message-store`,
    ]),
    ...userExtensionIds.flatMap((id) => [
      `/restapi/v1.0/account/~/extension/${id}/voicemail`,
      ...(smsExtensionIds.includes(id) ? [] : [`/restapi/v1.0/account/~/extension/${id}/message-store`]),
      presenceFilter(id),
    ]),
  ];
}

class ExtensionDirectory implements CallDirectory {
  private byId = new Map<string, ExtensionInfo>();

  replace(extensions: ExtensionInfo[]): void {
    this.byId = new Map(extensions.map((e) => [e.id, e]));
  }

  extension(extensionId: string): ExtensionInfo | undefined {
    return this.byId.get(extensionId);
  }

  all(): ExtensionInfo[] {
    return [...this.byId.values()];
  }
}

/** Runs one connection: subscription, dispatch, recovery handling. */
class ConnectionRunner {
  private readonly directory = new ExtensionDirectory();
  private client: ConnectionClient | null = null;
  private revoke: (() => Promise<void>) | null = null;
  private dispatcher: NotificationDispatcher | null = null;
  private recordings: RecordingHandlers | null = null;
  private catchingUp: Promise<void> = Promise.resolve();
  /** A catch-up queued behind the one under way, not started yet. */
  private waitingCatchUp: Promise<void> | null = null;
  private maintenance: NodeJS.Timeout | null = null;
  /** Writes of the subscription's state, in the order its changes happened. */
  private stateWrites: Promise<void> = Promise.resolve();
  /** Set once stop() began: the runner's own revoke closes the socket, which is no loss to report,
   * and a recovery finishing late is no recovery; stop() records the final state itself. */
  private stopping = false;
  /** Extensions owning the connected SMS numbers (their message stores carry the SMS). */
  private smsExtensions: string[] = [];
  private syncMessagesOfAll: () => Promise<void> = async () => {};

  constructor(
    readonly connectionId: string,
    /** What the subscription was built from (see wantedConnections). */
    readonly fingerprint: string,
    private readonly lease: ConnectionLease,
    private readonly options: WorkerOptions,
    /** Asks the worker to start this connection afresh (new login, subscription and catch-up). */
    private readonly restart: (runner: ConnectionRunner) => void,
  ) {}

  private get log() {
    return this.options.log.child({ connectionId: this.connectionId });
  }

  private get mode(): "WEBSOCKET" | "WEBHOOK" {
    return this.options.webhook ? "WEBHOOK" : "WEBSOCKET";
  }

  /** Records how the subscription stands (`ringCentralConnection.status`), after earlier records. */
  private recordState(state: typeof SUBSCRIPTION_ACTIVE | typeof SUBSCRIPTION_LOST | null): Promise<void> {
    this.stateWrites = this.stateWrites.then(() =>
      recordSubscriptionState(this.options.prisma, this.connectionId, this.mode, state).catch((error: unknown) =>
        this.log.error({ err: error, state }, "could not record the subscription's state"),
      ),
    );
    return this.stateWrites;
  }

  async start(): Promise<void> {
    const client = await this.options.clients(this.connectionId);
    this.client = client;
    this.directory.replace(await client.listExtensions());
    await this.options.prisma.ringCentralConnection.update({
      where: { id: this.connectionId },
      data: { extensionsCache: this.directory.all() as unknown as object[] },
    });
    this.smsExtensions = await smsExtensionIds(this.options, this.connectionId, client.rest);
    const syncOptions = () => ({
      ...this.options,
      log: this.log,
      platform: client.rest,
      store: connectionSyncStore(this.options, this.connectionId),
      since: new Date(Date.now() - 24 * 3600_000),
    });
    const handlers = {
      "instant-sms": instantSmsHandler(this.options, this.log),
      presence: presenceHandler(this.options, this.directory),
    };
    this.dispatcher = new NotificationDispatcher(
      this.options,
      this.directory,
      this.log,
      handlers,
      this.options.ingest,
      this.options.restWork,
    );
    // A message-sync is REST work (off the telephony path). Voicemail changes of other extensions
    // arrive here too; the recordings handler takes those.
    this.dispatcher.on(
      "message-store",
      async (envelope: Envelope) => {
        const extensionId = extensionOfEvent(envelope.event);
        if (extensionId && this.smsExtensions.includes(extensionId)) await syncMessages(syncOptions(), extensionId);
      },
      { rest: true },
    );
    this.recordings = registerRecordingHandlers(
      this.dispatcher,
      this.options,
      this.directory,
      client.rest,
      this.log,
      this.options.recordings,
    );
    this.syncMessagesOfAll = async () => {
      await syncAllMessages(this.options, this.log, client, this.connectionId, undefined, this.smsExtensions);
    };
    if (this.options.webhook) await this.keepWebhook(client, this.options.webhook);
    else await this.subscribe(client);
    await this.catchUp("start");
  }

  private async keepWebhook(client: ConnectionClient, webhook: NonNullable<WorkerOptions["webhook"]>): Promise<void> {
    const users = this.directory
      .all()
      .filter((e) => e.type === "User")
      .map((e) => e.id);
    const options = {
      ...this.options,
      log: this.log,
      platform: client.rest,
      connectionId: this.connectionId,
      address: webhook.address,
      eventFilters: eventFiltersFor(this.smsExtensions, users),
      expiresIn: webhook.expiresInSeconds,
    };
    const maintain = async () => {
      try {
        const health = await maintainWebhookSubscription(options);
        // Renewed or recreated, the subscription's state was saved with it; unchanged, it was
        // checked healthy, which ends any problem recorded before.
        if (health === "active") await this.recordState(SUBSCRIPTION_ACTIVE);
        if (health === "recreated") await this.catchUp("webhook subscription recreated");
        else await this.syncMessagesOfAll();
      } catch (error) {
        this.log.error({ err: error }, "could not maintain the webhook subscription");
        if (!this.stopping) await this.recordState(SUBSCRIPTION_LOST);
      }
    };
    const connection = await this.options.prisma.ringCentralConnection.findUniqueOrThrow({
      where: { id: this.connectionId },
    });
    if (connection.subscriptionMode === "WEBHOOK" && connection.subscriptionId) await maintain();
    else await startWebhookSubscription(options);
    this.maintenance = setInterval(() => void maintain(), webhook.maintainIntervalMs ?? 30_000);
    this.maintenance.unref();
  }

  /** Runs the webhook upkeep now (tests; the timer does it otherwise). */
  async maintainNow(): Promise<void> {
    if (!this.client || !this.options.webhook) return;
    clearInterval(this.maintenance!);
    await this.keepWebhook(this.client, this.options.webhook);
  }

  private async subscribe(client: ConnectionClient): Promise<void> {
    const users = this.directory
      .all()
      .filter((e) => e.type === "User")
      .map((e) => e.id);
    const filters = eventFiltersFor(this.smsExtensions, users);
    // Consecutive failed reconnection attempts; a recovery either way resets them.
    let failedAttempts = 0;
    const subscription = await openWebSocketSubscription(client.sdk, client.webSocketRequests, filters, {
      notification: (envelope) => this.dispatcher!.enqueue(envelope),
      lost: () => {
        if (this.stopping) return;
        this.log.warn("RingCentral WebSocket closed; recovering");
        void this.recordState(SUBSCRIPTION_LOST);
      },
      // Events in the gap of a failed recovery are lost: reconcile from RingCentral's history. The
      // library made a new subscription on the new socket: events flow again.
      recoveryFailed: () => {
        failedAttempts = 0;
        if (this.stopping) return;
        void this.recordState(SUBSCRIPTION_ACTIVE);
        void this.catchUp("recovery failed");
      },
      recovered: () => {
        failedAttempts = 0;
        if (this.stopping) return;
        this.log.info("RingCentral subscription recovered");
        void this.recordState(SUBSCRIPTION_ACTIVE);
      },
      // Notifications were lost even though the subscription never broke (most often a recovery
      // buffer that overflowed): reconcile at once; the replay and the catch-up overlap harmlessly.
      sequenceGap: (gap) => {
        if (this.stopping) return;
        this.log.warn(gap, "RingCentral notifications missed (sequence gap); catching up");
        void this.catchUp("sequence gap");
      },
      recoveryError: (error) => {
        failedAttempts += 1;
        this.log.warn({ err: error, failedAttempts }, "RingCentral subscription cannot reconnect yet");
        if (recoveryNeedsNewLogin(error) || failedAttempts >= MAX_RECOVERY_ERRORS) this.restart(this);
      },
    });
    this.revoke = () =>
      subscription
        .revoke()
        .catch((error: unknown) => this.log.warn({ err: error }, "could not revoke the subscription"));
    await this.recordState(SUBSCRIPTION_ACTIVE);
    this.log.info({ filters: filters.length }, "RingCentral subscription active");
  }

  /** User extensions whose email is a Switchboard user's (R1.3). */
  private async teammateExtensions(): Promise<string[]> {
    const users = this.directory.all().filter((e) => e.type === "User" && e.email);
    const known = await this.options.prisma.user.findMany({
      where: { email: { in: users.map((e) => e.email!.toLowerCase()) } },
      select: { email: true },
    });
    const emails = new Set(known.map((u) => u.email));
    return users.filter((e) => emails.has(e.email!.toLowerCase())).map((e) => e.id);
  }

  /** After any gap (start, failed recovery, sequence gap): reconcile from RingCentral's history. A
   * catch-up still waiting for the one under way to finish covers any gap found meanwhile too. */
  private async catchUp(reason: string): Promise<void> {
    if (!this.client) return;
    if (this.waitingCatchUp !== null) return this.waitingCatchUp;
    const client = this.client;
    const next = this.catchingUp.then(async () => {
      if (this.waitingCatchUp === next) this.waitingCatchUp = null;
      try {
        this.log.info({ reason }, "catching up from RingCentral");
        const previous = await this.options.prisma.ringCentralConnection.findUnique({
          where: { id: this.connectionId },
          select: { lastCaughtUpAt: true },
        });
        const platform = client.rest;
        await catchUpConnection({
          ...this.options,
          log: this.log,
          directory: this.directory,
          platform,
          connectionId: this.connectionId,
        });
        await this.syncMessagesOfAll();
        await this.recordings?.syncPendingRecordings();
        // Voicemails of the gap, for the extensions of people here (one request each).
        const since = previous?.lastCaughtUpAt ?? new Date(Date.now() - 24 * 3600_000);
        const teammates = await this.teammateExtensions();
        await syncRecentVoicemails(platform, this.options, this.directory, teammates, since, this.log);
        // Their Do Not Disturb and calls as they are now (changes of the gap were not heard).
        await syncPresence(platform, this.options, this.directory, teammates, this.log);
      } catch (error) {
        this.log.error({ err: error, reason }, "catch-up failed");
      }
    });
    this.waitingCatchUp = next;
    this.catchingUp = next;
    await next;
  }

  /** Waits for notifications already received to be applied (tests, shutdown). */
  async idle(): Promise<void> {
    await this.catchingUp;
    await this.dispatcher?.idle();
    await this.recordings?.idle();
  }

  /**
   * Stops everything and releases the lease. `outcome` is what the connection's status says
   * afterwards: "unwanted" (no channel needs it, or the worker shuts down) — no subscription runs,
   * though a webhook subscription keeps delivering to the API; "failed" — a problem the worker
   * is repairing (it starts the connection afresh). Recorded before the lease goes, so it cannot
   * overwrite what the next holder records.
   */
  async stop(outcome: "unwanted" | "failed" = "unwanted"): Promise<void> {
    this.stopping = true;
    if (this.maintenance) clearInterval(this.maintenance);
    await this.revoke?.();
    await this.recordings?.close();
    await this.dispatcher?.close();
    await this.client?.close();
    if (outcome === "failed") await this.recordState(SUBSCRIPTION_LOST);
    else if (this.mode === "WEBSOCKET") await this.recordState(null);
    await this.lease.release();
  }
}

/** The lease key of the SMS inactivity sweep (R4.2), beside the connections' ids. */
const SWEEP_LEASE = "sms-inactivity-sweep";

/** The first wait before a failed reconcile is tried again (it doubles up to the reconcile interval). */
const FIRST_RECONCILE_RETRY_MS = 250;

/** Consecutive failed reconnection attempts before the connection is started afresh. */
const MAX_RECOVERY_ERRORS = 5;

export interface RingCentralWorker {
  /** Starts or stops connection runners to match the database now. */
  reconcile(): Promise<void>;
  /** Webhook mode: check, renew or recreate the subscriptions now. */
  maintainWebhooks(): Promise<void>;
  /** Resolves once every notification received so far has been applied. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function startRingCentralWorker(options: WorkerOptions): RingCentralWorker {
  const runners = new Map<string, ConnectionRunner>();
  let closed = false;
  /** Reconciles and runner stops, one after another; never rejects (each step's caller sees its failure). */
  let reconciling: Promise<void> = Promise.resolve();

  /** Connections with a connected channel, each with what its subscription depends on: the SMS
   * numbers (their extensions' filters). A change restarts the runner with new filters. */
  async function wantedConnections(): Promise<Map<string, string>> {
    const rows = await options.prisma.ringCentralConnection.findMany({
      where: { channels: { some: { disconnectedAt: null } } },
      select: {
        id: true,
        channels: {
          where: { disconnectedAt: null, type: "SMS" },
          select: { phoneNumber: true },
          orderBy: { phoneNumber: "asc" },
        },
      },
    });
    return new Map(rows.map((r) => [r.id, r.channels.map((c) => c.phoneNumber).join(",")]));
  }

  // The sweep touches every SMS channel: one worker runs it, under its own lease, like a connection.
  let sweepLease: ConnectionLease | null = null;

  async function takeSweepLease(): Promise<void> {
    if (sweepLease || closed) return;
    try {
      const lease = await options.leases.acquire(SWEEP_LEASE);
      sweepLease = lease;
      lease?.onLost((reason) => {
        if (sweepLease !== lease) return;
        sweepLease = null; // taken again at a later reconcile, by this worker or another
        if (!closed) options.log.warn({ err: reason }, "lost the inactivity sweep's lease; will take it again");
      });
    } catch (error) {
      options.log.error({ err: error }, "could not take the inactivity sweep's lease; will retry");
    }
  }

  let announced = false;
  /** The one line an operator sees when the worker starts: how events arrive, and what it found. */
  function announceStart(found: number): void {
    if (announced) return;
    announced = true;
    const events = options.webhook ? "webhook" : "websocket";
    options.log.info({ events, connections: found, running: runners.size }, "RingCentral worker started");
  }

  /** Starts and stops runners to match the database; false when a wanted connection failed to start. */
  async function reconcileOnce(): Promise<boolean> {
    if (closed) return true;
    let complete = true;
    await takeSweepLease();
    const wanted = await wantedConnections();
    for (const [id, runner] of runners) {
      if (wanted.get(id) !== runner.fingerprint) {
        runners.delete(id);
        await runner.stop();
      }
    }
    for (const [id, fingerprint] of wanted) {
      if (runners.has(id)) continue;
      const lease = await options.leases.acquire(id);
      if (!lease) continue; // another process runs it
      const runner = new ConnectionRunner(id, fingerprint, lease, options, restartRunner);
      try {
        await runner.start();
        runners.set(id, runner);
        // Registered once it runs: a lease lost during start() is reported here at once.
        lease.onLost((reason) => leaseLost(runner, reason));
      } catch (error) {
        complete = false;
        options.log.error({ err: error, connectionId: id }, "could not start the RingCentral connection; will retry");
        await runner.stop("failed").catch(() => {});
      }
    }
    announceStart(wanted.size);
    return complete;
  }

  const reconcileQueued = (): Promise<boolean> => {
    const next = reconciling.then(reconcileOnce);
    reconciling = next.then(
      () => {},
      () => {},
    );
    return next;
  };
  const reconcile = async (): Promise<void> => void (await reconcileQueued());

  // A reconcile that failed (the database away) or left a connection not started is tried again
  // soon, backing off up to the timer's interval, instead of only at the timer's next tick.
  const reconcileIntervalMs = options.reconcileIntervalMs ?? 10_000;
  let retryDelayMs = FIRST_RECONCILE_RETRY_MS;
  let retryTimer: NodeJS.Timeout | null = null;
  function retrySoon(): void {
    if (closed || retryTimer) return;
    // Jittered, so workers that failed together (a 429 at login) do not all retry together.
    const jittered = Math.round(retryDelayMs / 2 + (Math.random() * retryDelayMs) / 2);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void reconcileInBackground();
    }, jittered);
    retryTimer.unref();
    retryDelayMs = Math.min(retryDelayMs * 2, reconcileIntervalMs);
  }
  /** Reconciles on the worker's own initiative: a failure is logged and retried, never thrown. */
  async function reconcileInBackground(): Promise<void> {
    try {
      if (await reconcileQueued()) retryDelayMs = FIRST_RECONCILE_RETRY_MS;
      else retrySoon();
    } catch (error) {
      if (closed) return;
      options.log.warn({ err: error, retryInMs: retryDelayMs }, "could not reconcile the RingCentral connections");
      retrySoon();
    }
  }

  /** The runner's lease broke (its database connection did): another worker may hold it already. */
  function leaseLost(runner: ConnectionRunner, reason: unknown): void {
    if (closed || runners.get(runner.connectionId) !== runner) return;
    options.log.warn(
      { err: reason, connectionId: runner.connectionId },
      "lost the lease of the RingCentral connection; stopping it until the lease is taken again",
    );
    runners.delete(runner.connectionId);
    reconciling = reconciling.then(() => runner.stop("failed").catch(() => {}));
    void reconcileInBackground();
  }

  function restartRunner(runner: ConnectionRunner) {
    if (runners.get(runner.connectionId) !== runner) return; // already being restarted
    options.log.warn({ connectionId: runner.connectionId }, "restarting the RingCentral connection");
    runners.delete(runner.connectionId);
    reconciling = reconciling.then(() => runner.stop("failed").catch(() => {}));
    void reconcileInBackground();
  }

  // A subscription the library gave up on stays dead (subscription.ts): start the connections
  // afresh (new login, new subscription, catch-up).
  const stopListening = onSubscriptionGivenUp((reason) => {
    options.log.warn({ err: reason }, "the RingCentral library gave up on a subscription; restarting the connections");
    reconciling = reconciling.then(async () => {
      const stopping = [...runners.values()];
      runners.clear();
      await Promise.all(stopping.map((runner) => runner.stop("failed").catch(() => {})));
    });
    void reconcileInBackground();
  });
  // A channel connected or disconnected through the API (in any process) is acted on at once; the
  // timer backs that up (a missed announcement, a connection whose start failed). Once listening,
  // one more pass covers what changed between the first pass and then.
  let stopListeningForChanges: () => void = () => {};
  const listening = onChannelsChanged(options, () => void reconcileInBackground()).then(
    (stop) => {
      if (closed) stop();
      else stopListeningForChanges = stop;
      void reconcileInBackground();
    },
    (error: unknown) => options.log.error({ err: error }, "cannot hear channel changes; only the timer reconciles"),
  );
  const timer = setInterval(() => void reconcileInBackground(), reconcileIntervalMs);
  timer.unref();
  const sweepInactiveConversations = async () => {
    if (!sweepLease) return; // another worker sweeps
    await archiveInactiveConversations(options, (options.clock ?? systemClock)()).catch((error: unknown) =>
      options.log.error({ err: error }, "inactivity sweep failed"),
    );
  };
  const stopSweeping = (options.sweepSchedule ?? everyMs(options.sweepIntervalMs ?? 60_000))(
    sweepInactiveConversations,
  );
  void reconcileInBackground();

  return {
    reconcile,
    maintainWebhooks: async () => {
      await Promise.all([...runners.values()].map((r) => r.maintainNow()));
    },
    idle: async () => {
      await listening;
      await reconciling;
      await Promise.all([...runners.values()].map((r) => r.idle()));
    },
    close: async () => {
      closed = true;
      stopListening();
      await listening;
      stopListeningForChanges();
      clearInterval(timer);
      if (retryTimer) clearTimeout(retryTimer);
      stopSweeping();
      await reconciling;
      await Promise.all([...runners.values()].map((r) => r.stop()));
      runners.clear();
      await sweepLease?.release();
      sweepLease = null;
    },
  };
}
