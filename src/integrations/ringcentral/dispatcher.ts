// Applies notifications in arrival order, per connection. A notification that fails validation or
// application is logged with its uuid and dropped from the queue (catch-up repairs what it would
// have changed); it never stops the worker.
//
// Telephony notifications that queue up behind each other (a burst arriving while earlier ones are
// applied) are applied together, in order, in one transaction (ingestTelephonyNotifications): same
// outcome and events, a fixed number of SQL statements per burst instead of per notification. When
// the worker keeps up, each is applied on its own as soon as it arrives. If a burst's transaction
// fails, its notifications are applied one by one, so a bad one fails alone.
//
// Bursts of different calls apply concurrently (a new call's ring need not wait for the commit of
// another call's hang-up); a burst holding a call that an earlier burst in flight holds waits for
// it, so one call's notifications always apply in arrival order.
//
// Telephony never waits on RingCentral's REST API (a 429 there must not hold up calls): handlers
// that call it (recording and call-log look-ups, voicemail, message sync) are registered as REST
// work, and the dispatcher queues them (rest-work.ts) instead of awaiting them — after the
// notifications before them are applied, so a voicemail still finds the call it came after.
import type { Logger } from "../../logger.ts";
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from "../../config.ts";
import type { Deps } from "../../domain/event-log.ts";
import {
  ingestTelephonyNotificationsEach,
  type CallDirectory,
  type IngestOutcome,
  type TelephonyNotification,
} from "../../domain/calls.ts";
import { envelopeSchema, kindOf, parseTelephonyNotification, type Envelope } from "./notifications.ts";
import { RestWorkQueue, type RestWorkOptions } from "./rest-work.ts";

export type NotificationHandler = (envelope: Envelope) => Promise<void>;
/** Runs after a burst of telephony notifications is applied (each applied or failed alone); gets the
 * ones that parsed. */
export type TelephonyBurstHandler = (notifications: TelephonyNotification[]) => Promise<void>;

type Kind = ReturnType<typeof kindOf>;

interface Burst {
  sessions: Set<string>;
  done: Promise<void>;
}

export class NotificationDispatcher {
  private readonly pending: unknown[] = [];
  private draining: Promise<void> | null = null;
  private readonly handlers: Partial<Record<Exclude<Kind, "telephony">, NotificationHandler>>;
  private readonly restHandlers: Partial<Record<Exclude<Kind, "telephony">, NotificationHandler>> = {};
  private readonly afterTelephonyHandlers: TelephonyBurstHandler[] = [];
  /** REST work the notifications call for, done off the telephony path. */
  readonly restWork: RestWorkQueue;
  private readonly batchBlockers: (() => boolean)[] = [];
  private readonly running = new Set<Burst>();

  constructor(
    private readonly deps: Deps,
    private readonly directory: CallDirectory,
    private readonly log: Logger,
    handlers: Partial<Record<Exclude<Kind, "telephony">, NotificationHandler>> = {},
    private readonly limits: IngestLimits = DEFAULT_INGEST_LIMITS,
    restWork: RestWorkOptions = {},
  ) {
    this.handlers = { ...handlers };
    this.restWork = new RestWorkQueue(log, restWork);
  }

  /** Adds a handler for a kind other than telephony. Handlers of one kind all run, in registration
   * order, each even when an earlier one failed (the first failure is reported afterwards). A `rest`
   * handler (one that calls RingCentral's REST API) is queued as REST work, not awaited. */
  on(kind: Exclude<Kind, "telephony">, handler: NotificationHandler, options: { rest?: boolean } = {}): this {
    const handlers = options.rest ? this.restHandlers : this.handlers;
    handlers[kind] = compose(handlers[kind], handler);
    return this;
  }

  /** Adds a handler queued as REST work after each burst of telephony notifications is applied. */
  afterTelephony(handler: TelephonyBurstHandler): this {
    this.afterTelephonyHandlers.push(handler);
    return this;
  }

  /** Applies telephony notifications one at a time while `blocked()` says so (a handler that must
   * run between them, e.g. a voicemail waiting for its call's events). */
  batchUnless(blocked: () => boolean): this {
    this.batchBlockers.push(blocked);
    return this;
  }

  enqueue(raw: unknown): void {
    this.pending.push(raw);
    // Starts on the next turn of the event loop, so notifications that came in one read from the
    // socket (a call's first legs often do) are applied as one burst, not each after the last commit.
    this.draining ??= new Promise((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Resolves when everything enqueued so far has been applied, with the REST work it called for. */
  async idle(): Promise<void> {
    do {
      await this.telephonyIdle();
      await this.restWork.idle();
    } while (this.draining !== null || this.running.size > 0);
  }

  /** Resolves when everything enqueued so far has been applied, REST work aside. */
  async telephonyIdle(): Promise<void> {
    while (this.draining !== null) await this.draining;
    await this.burstsSettled();
  }

  /** Applies what is enqueued, then drops the REST work still queued (catch-up at the next start
   * does it) and waits for the task under way. */
  async close(): Promise<void> {
    await this.telephonyIdle();
    await this.restWork.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const envelope = this.validate(envelopeSchema.safeParse(this.pending.shift()));
        if (!envelope) continue;
        const kind = kindOf(envelope.event);
        if (kind === "telephony")
          await this.startBurst([
            envelope,
            ...(this.batchBlockers.some((blocked) => blocked()) ? [] : this.takeTelephony()),
          ]);
        else {
          // Other kinds (SMS, voicemail) come after the calls before them, as they arrived.
          await this.burstsSettled();
          await this.apply(kind, envelope);
        }
      }
    } finally {
      this.draining = null;
    }
  }

  /** Starts applying a burst once a slot is free, after the bursts in flight that hold any of its calls. */
  private async startBurst(envelopes: Envelope[]): Promise<void> {
    while (this.running.size >= this.limits.maxConcurrentBursts)
      await Promise.race([...this.running].map((b) => b.done));
    const sessions = new Set(
      envelopes.map((e) => String((e.body as { telephonySessionId?: unknown } | null)?.telephonySessionId ?? "")),
    );
    const before = [...this.running].filter((b) => [...b.sessions].some((s) => sessions.has(s))).map((b) => b.done);
    const burst: Burst = { sessions, done: Promise.all(before).then(() => this.applyTelephony(envelopes)) };
    this.running.add(burst);
    void burst.done.finally(() => this.running.delete(burst));
  }

  private async burstsSettled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running].map((b) => b.done));
  }

  /** The telephony notifications queued right behind (malformed ones in between are dropped, as they would be). */
  private takeTelephony(): Envelope[] {
    const taken: Envelope[] = [];
    while (taken.length < this.limits.maxBatch - 1 && this.pending.length > 0) {
      const parsed = envelopeSchema.safeParse(this.pending[0]);
      if (parsed.success && kindOf(parsed.data.event) !== "telephony") break;
      this.pending.shift();
      const envelope = this.validate(parsed);
      if (envelope) taken.push(envelope);
    }
    return taken;
  }

  private validate(parsed: ReturnType<typeof envelopeSchema.safeParse>): Envelope | null {
    if (!parsed.success) {
      this.log.warn({ issues: parsed.error.issues.slice(0, 3) }, "ignored a malformed RingCentral notification");
      return null;
    }
    return parsed.data;
  }

  private async apply(kind: Exclude<Kind, "telephony">, envelope: Envelope): Promise<void> {
    const handler = this.handlers[kind];
    const restHandler = this.restHandlers[kind];
    if (restHandler) {
      // The queue logs a failure, and tries again when RingCentral only said "not now".
      void this.restWork.push(`${kind} ${envelope.uuid}`, () => restHandler(envelope));
    }
    if (!handler) {
      if (restHandler) return;
      this.log.debug({ uuid: envelope.uuid, event: envelope.event }, "no handler for this RingCentral event");
      return;
    }
    try {
      await handler(envelope);
    } catch (error) {
      this.log.error({ err: error, uuid: envelope.uuid, kind }, "could not apply a RingCentral notification");
    }
  }

  private noteOutcome(envelope: Envelope, outcome: IngestOutcome): void {
    if (outcome === "unrouted")
      this.log.debug({ uuid: envelope.uuid }, "call does not involve a connected number (yet)");
  }

  private async applyTelephony(envelopes: Envelope[]): Promise<void> {
    const failures = new Map<Envelope, unknown>();
    const parsed: { envelope: Envelope; notification: TelephonyNotification }[] = [];
    for (const envelope of envelopes) {
      try {
        parsed.push({ envelope, notification: parseTelephonyNotification(envelope) });
      } catch (error) {
        failures.set(envelope, error);
      }
    }
    const results = await ingestTelephonyNotificationsEach(
      this.deps,
      this.directory,
      parsed.map((p) => p.notification),
      (error) =>
        this.log.warn(
          { err: error, notifications: parsed.length },
          "a burst of RingCentral notifications failed; applying them one by one",
        ),
    );
    results.forEach((result, i) => {
      if (result.status === "fulfilled") this.noteOutcome(parsed[i]!.envelope, result.value);
      else failures.set(parsed[i]!.envelope, result.reason);
    });
    for (const [envelope, failure] of failures)
      this.log.error(
        { err: failure, uuid: envelope.uuid, kind: "telephony" },
        "could not apply a RingCentral notification",
      );
    const notifications = parsed.map((p) => p.notification);
    for (const handler of this.afterTelephonyHandlers) {
      void this.restWork.push("after call notifications", () => handler(notifications));
    }
  }
}

function compose(before: NotificationHandler | undefined, handler: NotificationHandler): NotificationHandler {
  return !before
    ? handler
    : async (envelope) => {
        const failures: unknown[] = [];
        for (const run of [before, handler]) await run(envelope).catch((error: unknown) => failures.push(error));
        if (failures.length > 0) throw failures[0];
      };
}
