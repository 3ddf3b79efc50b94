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
import { loadFactsBatch, matches, type TriggerFacts } from "../domain/rules/conditions.ts";
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
import { latestSequence, readEventPage } from "../store/event-log.ts";
import {
  claimRuns,
  dueWatches,
  finishRuns,
  readCursor,
  runKey,
  settledWatches,
  unwatchCall,
  watchCalls,
  watchedCalls,
  writeCursor,
  type CallWatch,
  type RunResult,
} from "../store/rule-runs.ts";
import type { LeaseProvider } from "../integrations/ringcentral/lease.ts";
import { followEventLog } from "../event-log-follower.ts";

const LEASE = "rule-runner";
const CURSOR = "rules";
/** Events read, judged and acted on together; the cursor advances once per batch. */
const BATCH = 500;

/** A trigger to judge: from an event, or a call whose outcome settled. */
interface Firing {
  trigger: Trigger;
  sequence: bigint;
  depth: number;
}

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
  /** Where this runner is in the log: read once under the lease, then kept here (only it writes it). */
  let cursor: bigint | null = null;

  async function enabledRules(): Promise<RuleDefinition[]> {
    return (await options.prisma.rule.findMany({ where: { enabled: true }, orderBy: { createdAt: "asc" } })).map(
      ruleDefinition,
    );
  }

  /**
   * Runs each rule whose trigger is one of `firings` and whose conditions hold, once per trigger.
   * The facts of all firings are read together; a conversation a rule acted on has its facts read
   * again for the later firings about it, so a rule sees what an earlier one did (and, say, a second
   * message does not round-robin a conversation the first one assigned).
   */
  async function fire(firings: Firing[], rules: RuleDefinition[]) {
    const byTrigger = new Map<Trigger["trigger"], RuleDefinition[]>();
    for (const rule of rules) byTrigger.set(rule.trigger, [...(byTrigger.get(rule.trigger) ?? []), rule]);
    const seen = new Set<string>();
    const wanted = firings.filter((f) => {
      if (!byTrigger.has(f.trigger.trigger) || seen.has(f.trigger.key)) return false;
      seen.add(f.trigger.key);
      return true;
    });
    if (wanted.length === 0) return;
    const at = now();
    const facts: (TriggerFacts | null)[] = [];
    const load = async (indexes: number[]) => {
      const loaded = await loadFactsBatch(
        options.prisma,
        indexes.map((i) => ({ ...wanted[i]!.trigger, at })),
      );
      for (const [n, i] of indexes.entries()) facts[i] = loaded[n]!;
    };
    await load(wanted.map((_, i) => i));
    const changed = new Set<string>();
    const results: RunResult[] = [];
    for (const [i, firing] of wanted.entries()) {
      const { conversationId } = firing.trigger;
      if (changed.has(conversationId)) {
        const later = wanted.flatMap((f, j) => (j >= i && changed.has(f.trigger.conversationId) ? [j] : []));
        await load(later);
        changed.clear();
      }
      const holding = facts[i] ? byTrigger.get(firing.trigger.trigger)!.filter((r) => matches(r, facts[i]!)) : [];
      if (holding.length === 0) continue;
      const claims = holding.map((rule) => ({
        ruleId: rule.id,
        triggerKey: firing.trigger.key,
        eventSequence: firing.sequence,
        conversationId,
      }));
      const claimed = await claimRuns(options.prisma, claims);
      for (const rule of holding) {
        const runId = claimed.get(runKey({ ruleId: rule.id, triggerKey: firing.trigger.key }));
        if (!runId) continue;
        results.push(await act(rule, runId, conversationId, firing.depth));
        changed.add(conversationId);
      }
    }
    await finishRuns(options.prisma, results);
  }

  async function act(rule: RuleDefinition, runId: string, conversationId: string, depth: number): Promise<RunResult> {
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
        return { runId, status: "FAILED", actions: outcomes, reason };
      }
    }
    return { runId, status: "DONE", actions: outcomes };
  }

  /** Watches the batch's ended calls (and calls already watched, whose quiet period restarts). */
  async function watchEndedCalls(events: EventRecord[]) {
    const callEvents = events.flatMap((event) => {
      const callId = callOf(event);
      return callId ? [{ event, callId }] : [];
    });
    const watched = await watchedCalls(options.prisma, [...new Set(callEvents.map((c) => c.callId))]);
    const latest = new Map<string, CallWatch>();
    const at = now();
    for (const { event, callId } of callEvents) {
      if (!endedCallOf(event) && !watched.has(callId)) continue;
      watched.add(callId);
      latest.set(callId, { callId, eventSequence: BigInt(event.sequence), at, ruleDepth: depthOf(event) });
    }
    await watchCalls(options.prisma, [...latest.values()]);
  }

  async function handleBatch(events: EventRecord[], rules: RuleDefinition[]) {
    if (rules.some((r) => r.trigger === "CALL_ENDED")) await watchEndedCalls(events);
    const firings = events.flatMap((event): Firing[] => {
      if (depthOf(event) >= MAX_RULE_DEPTH) return [];
      const trigger = triggerOf(event);
      return trigger ? [{ trigger, sequence: BigInt(event.sequence), depth: depthOf(event) }] : [];
    });
    await fire(firings, rules);
  }

  /** Reads the log from the cursor to its end, a batch at a time. */
  async function readLog(rules: RuleDefinition[]) {
    if (cursor === null) cursor = await readCursor(options.prisma, CURSOR);
    if (cursor === null) {
      // A new installation acts on what happens from now on, not on the history before it.
      cursor = await latestSequence(options.prisma);
      await writeCursor(options.prisma, CURSOR, cursor);
    }
    while (follower.holding()) {
      const events = await readEventPage(options.prisma, {}, cursor, BATCH);
      if (events.length === 0) return;
      await handleBatch(events, rules);
      cursor = BigInt(events[events.length - 1]!.sequence);
      await writeCursor(options.prisma, CURSOR, cursor);
      if (events.length < BATCH) return;
    }
  }

  /** Calls whose outcome settled: the call log agreed, or all legs ended and the call stayed quiet. */
  async function settleCalls(rules: RuleDefinition[]) {
    const quietSince = new Date(now().getTime() - quietMs);
    const [quiet, settled] = await Promise.all([
      dueWatches(options.prisma, quietSince),
      settledWatches(options.prisma),
    ]);
    const byCall = new Map([...quiet, ...settled].map((w) => [w.callId, w]));
    if (byCall.size === 0) return;
    const calls = new Map(
      (
        await options.prisma.call.findMany({
          where: { id: { in: [...byCall.keys()] } },
          include: { parties: { select: { endedAt: true } } },
        })
      ).map((c) => [c.id, c]),
    );
    const firings: Firing[] = [];
    const done: { callId: string; eventSequence: bigint }[] = [];
    for (const watch of byCall.values()) {
      const call = calls.get(watch.callId);
      const agreed = call?.settledStatus != null && call.settledStatus === call.status;
      if (call && !agreed && !isOutcome(call.status as CallStatus)) {
        done.push(watch); // not over: its end watches it again
        continue;
      }
      if (call && !agreed && call.parties.some((p) => p.endedAt === null)) continue; // a leg is still up
      if (call && watch.ruleDepth < MAX_RULE_DEPTH) {
        firings.push({
          trigger: callEndedTrigger(call.id, call.conversationId),
          sequence: watch.eventSequence,
          depth: watch.ruleDepth,
        });
      }
      done.push(watch);
    }
    await fire(firings, rules);
    for (const watch of done) await unwatchCall(options.prisma, watch.callId, watch.eventSequence);
  }

  async function pass(): Promise<void> {
    const rules = await enabledRules();
    await readLog(rules);
    if (rules.some((r) => r.trigger === "CALL_ENDED")) await settleCalls(rules);
  }

  const follower = followEventLog({
    name: LEASE,
    pubsub: options.pubsub,
    log: options.log,
    leases: options.leases,
    pollMs: options.pollMs ?? 1000,
    onLeaseLost: () => {
      cursor = null;
    },
    pass,
  });
  return { drain: follower.drain, close: follower.close };
}
