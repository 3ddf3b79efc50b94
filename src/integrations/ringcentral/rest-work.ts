// The worker's RingCentral REST work (recording and call-log look-ups, voicemail listing and
// transcriptions, message sync), off the telephony path: notifications are applied as they come,
// and whatever they call for from RingCentral's REST API is queued here and done in the order it
// was asked for, one task at a time. A task RingCentral rate-limits (429) or cannot answer is tried
// again after a backoff with jitter, as often as it takes while the queue is open — the client's
// limiter (rate-limiter.ts) already holds the group until `Retry-After`, so the backoff only
// spaces out the attempts. Any other failure is final: logged, and the task dropped (catch-up
// repairs what it would have done).
import type { Logger } from "../../logger.ts";
import { RingCentralRateLimitError, RingCentralUnavailableError } from "../../domain/ringcentral-errors.ts";

export interface RestWorkOptions {
  /** The first backoff after a retryable failure; doubles per failure of the same task. */
  baseDelayMs?: number;
  /** The longest backoff. */
  maxDelayMs?: number;
  /** Tries of a task RingCentral cannot answer (5xx, network) before it is dropped; 429s never count. */
  maxUnavailableAttempts?: number;
}

const DEFAULTS: Required<RestWorkOptions> = { baseDelayMs: 1000, maxDelayMs: 60_000, maxUnavailableAttempts: 6 };

interface Task {
  label: string;
  run: () => Promise<void>;
  done: () => void;
}

/** Whether a failure is RingCentral saying "not now" rather than "no". */
export function isRetryableRestFailure(error: unknown): boolean {
  return error instanceof RingCentralRateLimitError || error instanceof RingCentralUnavailableError;
}

/** Full jitter over an exponential backoff: workers that failed together do not retry together. */
export function jitteredBackoffMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random) {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class RestWorkQueue {
  private readonly tasks: Task[] = [];
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly options: Required<RestWorkOptions>;
  /** Ends the backoff under way (close). */
  private wake: (() => void) | null = null;

  constructor(
    private readonly log: Logger,
    options: RestWorkOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Queues `run`; resolves once it is done or dropped (never rejects). Never await it from a task
   * of the same queue: tasks run one at a time. */
  push(label: string, run: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((done) => {
      this.tasks.push({ label, run, done });
      this.running ??= this.runAll();
    });
  }

  /** Resolves when nothing is queued or running (tasks queued by tasks included). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** Drops what is queued, ends a backoff, and waits for the task under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.tasks.splice(0)) task.done();
    this.wake?.();
    await this.idle();
  }

  private async runAll(): Promise<void> {
    try {
      for (let task = this.tasks.shift(); task; task = this.tasks.shift()) {
        await this.runWithRetries(task);
        task.done();
      }
    } finally {
      this.running = null;
    }
  }

  private async runWithRetries(task: Task): Promise<void> {
    let failures = 0;
    let unavailable = 0;
    while (!this.closed) {
      try {
        await task.run();
        return;
      } catch (error) {
        failures += 1;
        if (error instanceof RingCentralUnavailableError) unavailable += 1;
        if (!isRetryableRestFailure(error) || unavailable >= this.options.maxUnavailableAttempts) {
          this.log.error({ err: error, task: task.label, failures }, "RingCentral work failed; left to catch-up");
          return;
        }
        const delayMs = jitteredBackoffMs(failures, this.options.baseDelayMs, this.options.maxDelayMs);
        this.log.warn({ err: error, task: task.label, failures, delayMs }, "RingCentral work deferred; retrying");
        await this.pause(delayMs);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
