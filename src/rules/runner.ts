// The rule runner (R6.3): one process at a time (a lease, like a RingCentral connection) reads the
// event log after its durable cursor and runs the enabled rules each event triggers. Each (rule,
// trigger) is claimed in RuleRun before its actions run, so a restart misses nothing (the cursor)
// and runs nothing twice (the claim). A call's end triggers rules only once its outcome is settled:
// the call log agreed, or all its legs ended and it stayed quiet for `quietMs` — RingCentral's
// notifications arrive shuffled, and a call can pass through a terminal status it does not keep.
import type { Logger } from "../logger.ts";
import type { Deps } from "../domain/event-log.ts";
import type { EventRecord } from "../domain/events.ts";
import { isOutcome, type CallStatus } from "../domain/call-outcomes.ts";
import { runAction, type ActionOutcome } from "../domain/rules/actions.ts";
import { loadFacts, matches } from "../domain/rules/conditions.ts";
import { ruleDefinition, type RuleDefinition } from "../domain/rules/model.ts";
import {
  callEndedTrigger,
  callOf,
  depthOf,
  endedCallOf,
  MAX_RULE_DEPTH,
  triggerOf,
  type Trigger,
} from "../domain/rules/triggers.ts";
import type { SmsSender } from "../domain/sms/sender.ts";
import { latestSequence, readEventsAfter } from "../store/event-log.ts";
import {
  claimRun,
  dueWatches,
  finishRun,
  isWatched,
  readCursor,
  settledWatches,
  unwatchCall,
  watchCall,
  writeCursor,
} from "../store/rule-runs.ts";
import type { ConnectionLease, LeaseProvider } from "../integrations/ringcentral/lease.ts";

const LEASE = "rule-runner";
const CURSOR = "rules";
const CURSOR_SAVE_EVERY = 200;

export interface RuleRunnerOptions extends Deps {
  log: Logger;
  leases: LeaseProvider;
  smsSender: () => Promise<SmsSender>;
  /** The clock (tests inject one): business hours and quiet periods are judged by it. */
  now?: () => Date;
  /** How long a call must stay unchanged after it ended before its outcome counts as settled. */
  quietMs?: number;
  /** How often to look for work besides the event stream's wake-ups (and settle quiet calls). */
  pollMs?: number;
}

export interface RuleRunner {
  /** Runs now until the log is read to its end and every settled call acted on; resolves after. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export function startRuleRunner(options: RuleRunnerOptions): RuleRunner {
  const now = options.now ?? (() => new Date());
  const quietMs = options.quietMs ?? 30_000;
  let lease: ConnectionLease | null = null;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();
  let queued = false;

  async function takeLease(): Promise<boolean> {
    if (lease) return true;
    lease = await options.leases.acquire(LEASE);
    lease?.onLost((reason) => {
      options.log.warn({ err: reason }, "lost the rule runner's lease; will take it again");
      lease = null;
    });
    return lease !== null;
  }

  async function enabledRules(): Promise<RuleDefinition[]> {
    return (await options.prisma.rule.findMany({ where: { enabled: true }, orderBy: { createdAt: "asc" } })).map(
      ruleDefinition,
    );
  }

  /** Runs each rule of the trigger whose conditions hold, once. */
  async function fire(trigger: Trigger, rules: RuleDefinition[], sequence: bigint, depth: number) {
    const candidates = rules.filter((r) => r.trigger === trigger.trigger);
    if (candidates.length === 0) return;
    const facts = await loadFacts(options.prisma, { ...trigger, at: now() });
    if (!facts) return;
    for (const rule of candidates) {
      if (!matches(rule, facts)) continue;
      const runId = await claimRun(options.prisma, {
        ruleId: rule.id,
        triggerKey: trigger.key,
        eventSequence: sequence,
        conversationId: trigger.conversationId,
      });
      if (runId) await act(rule, runId, trigger.conversationId, depth);
    }
  }

  async function act(rule: RuleDefinition, runId: string, conversationId: string, depth: number) {
    const context = {
      deps: options,
      rule,
      conversationId,
      cause: { ruleId: rule.id, depth: depth + 1 },
      now: now(),
      smsSender: options.smsSender,
    };
    const outcomes: ActionOutcome[] = [];
    for (const action of rule.actions) {
      try {
        outcomes.push({ type: action.type, ...(await runAction(context, action)) });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        outcomes.push({ type: action.type, outcome: "FAILED", detail: reason });
        options.log.warn({ err: error, ruleId: rule.id, conversationId }, "a rule action failed");
        await finishRun(options.prisma, runId, { status: "FAILED", actions: outcomes, reason });
        return;
      }
    }
    await finishRun(options.prisma, runId, { status: "DONE", actions: outcomes });
  }

  async function handle(event: EventRecord, rules: RuleDefinition[]) {
    const callId = callOf(event);
    const wantsCalls = rules.some((r) => r.trigger === "CALL_ENDED");
    if (callId && wantsCalls && (endedCallOf(event) || (await isWatched(options.prisma, callId)))) {
      await watchCall(options.prisma, {
        callId,
        eventSequence: BigInt(event.sequence),
        at: now(),
        ruleDepth: depthOf(event),
      });
    }
    if (depthOf(event) >= MAX_RULE_DEPTH) return;
    const trigger = triggerOf(event);
    if (trigger) await fire(trigger, rules, BigInt(event.sequence), depthOf(event));
  }

  /** Reads the log from the cursor to its end. */
  async function readLog(rules: RuleDefinition[]) {
    let cursor = await readCursor(options.prisma, CURSOR);
    if (cursor === null) {
      // A new installation acts on what happens from now on, not on the history before it.
      cursor = await latestSequence(options.prisma);
      await writeCursor(options.prisma, CURSOR, cursor);
    }
    let unsaved = 0;
    for await (const event of readEventsAfter(options.prisma, {}, cursor)) {
      if (closed || !lease) break;
      await handle(event, rules);
      cursor = BigInt(event.sequence);
      if (++unsaved >= CURSOR_SAVE_EVERY) {
        await writeCursor(options.prisma, CURSOR, cursor);
        unsaved = 0;
      }
    }
    if (unsaved > 0) await writeCursor(options.prisma, CURSOR, cursor);
  }

  /** Calls whose outcome settled: the call log agreed, or all legs ended and the call stayed quiet. */
  async function settleCalls(rules: RuleDefinition[]) {
    const quietSince = new Date(now().getTime() - quietMs);
    const [quiet, settled] = await Promise.all([
      dueWatches(options.prisma, quietSince),
      settledWatches(options.prisma),
    ]);
    const byCall = new Map([...quiet, ...settled].map((w) => [w.callId, w]));
    for (const watch of byCall.values()) {
      const call = await options.prisma.call.findUnique({
        where: { id: watch.callId },
        include: { parties: { select: { endedAt: true } } },
      });
      const agreed = call?.settledStatus != null && call.settledStatus === call.status;
      if (call && !agreed && !isOutcome(call.status as CallStatus)) {
        await unwatchCall(options.prisma, watch.callId, watch.eventSequence); // not over: its end watches it again
        continue;
      }
      if (call && !agreed && call.parties.some((p) => p.endedAt === null)) continue; // a leg is still up
      if (call && watch.ruleDepth < MAX_RULE_DEPTH) {
        await fire(callEndedTrigger(call.id, call.conversationId), rules, watch.eventSequence, watch.ruleDepth);
      }
      await unwatchCall(options.prisma, watch.callId, watch.eventSequence);
    }
  }

  async function pass(): Promise<void> {
    if (closed || !(await takeLease())) return;
    const rules = await enabledRules();
    await readLog(rules);
    if (rules.some((r) => r.trigger === "CALL_ENDED")) await settleCalls(rules);
  }

  /** Queues a pass after the running one; a wake-up queues at most one, whatever woke it. */
  function enqueue(): Promise<void> {
    const next = chain.then(() => {
      queued = false;
      return pass();
    });
    chain = next.catch(() => {});
    return next;
  }

  function wake(): void {
    if (queued || closed) return;
    queued = true;
    enqueue().catch((error: unknown) => options.log.error({ err: error }, "rule runner pass failed"));
  }

  const listening = options.pubsub.listen("all", options.pubsub.eventLog, wake);
  const timer = setInterval(wake, options.pollMs ?? 1000);
  timer.unref();
  wake();

  return {
    drain: enqueue,
    async close() {
      closed = true;
      clearInterval(timer);
      (await listening)();
      await chain;
      await lease?.release();
      lease = null;
    },
  };
}
