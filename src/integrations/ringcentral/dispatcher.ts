// Applies notifications one at a time, in arrival order, per connection. A notification that
// fails validation or application is logged with its uuid and dropped from the queue (catch-up
// repairs what it would have changed); it never stops the worker.
import type { Logger } from "../../logger.ts";
import type { Deps } from "../../domain/events.ts";
import { ingestTelephonyNotification, type CallDirectory } from "../../domain/calls.ts";
import { envelopeSchema, kindOf, parseTelephonyNotification, type Envelope } from "./notifications.ts";

export type NotificationHandler = (envelope: Envelope) => Promise<void>;

export class NotificationDispatcher {
  private queue: Promise<void> = Promise.resolve();
  private readonly handlers: Partial<Record<ReturnType<typeof kindOf>, NotificationHandler>>;

  constructor(
    private readonly deps: Deps,
    directory: CallDirectory,
    private readonly log: Logger,
    extraHandlers: Partial<Record<ReturnType<typeof kindOf>, NotificationHandler>> = {},
  ) {
    this.handlers = {
      telephony: async (envelope) => {
        const outcome = await ingestTelephonyNotification(this.deps, directory, parseTelephonyNotification(envelope));
        if (outcome === "unrouted") this.log.debug({ uuid: envelope.uuid }, "call does not involve a connected number (yet)");
      },
      ...extraHandlers,
    };
  }

  /** Adds a handler for a kind. Handlers of one kind all run, in registration order, each even
   * when an earlier one failed (the first failure is reported afterwards). */
  on(kind: ReturnType<typeof kindOf>, handler: NotificationHandler): this {
    const before = this.handlers[kind];
    this.handlers[kind] = !before
      ? handler
      : async (envelope) => {
          const failures: unknown[] = [];
          for (const run of [before, handler]) await run(envelope).catch((error: unknown) => failures.push(error));
          if (failures.length > 0) throw failures[0];
        };
    return this;
  }

  enqueue(raw: unknown): void {
    this.queue = this.queue.then(() => this.apply(raw));
  }

  private async apply(raw: unknown): Promise<void> {
    const parsed = envelopeSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn({ issues: parsed.error.issues.slice(0, 3) }, "ignored a malformed RingCentral notification");
      return;
    }
    const envelope = parsed.data;
    const kind = kindOf(envelope.event);
    const handler = this.handlers[kind];
    if (!handler) {
      this.log.debug({ uuid: envelope.uuid, event: envelope.event }, "no handler for this RingCentral event");
      return;
    }
    try {
      await handler(envelope);
    } catch (error) {
      this.log.error({ err: error, uuid: envelope.uuid, kind }, "could not apply a RingCentral notification");
    }
  }

  /** Resolves when everything enqueued so far has been applied. */
  idle(): Promise<void> {
    return this.queue;
  }
}
