// The scenario engine. A scenario is a list of named steps; each step moves one or more parties
// and so emits one or more notifications. Scenarios run at once or step by step on command,
// optionally with a delay between steps for demos.
//
// The three captured calls (inbound PSTN → IVR → user, user → PSTN, extension → extension) are
// reproduced notification for notification; the other flows are modelled on REFERENCE §3.3.
// Steps check the current state before acting, so a scenario keeps working when the app changes
// the call in between through call control (a later "answer" step is skipped if the app already
// answered, "hangup" only disconnects parties still up).

import type { SimContext } from "../core.ts";
import { simulatorScoped } from "../scoped-state.ts";
import { accountFor, createSession, type SessionOrigin, type SimSession } from "../telephony.ts";
import { inboundScript, ivrScript } from "./inbound-scripts.ts";
import { extensionToExtensionScript, outboundScript } from "./outbound-scripts.ts";
import { queueScript } from "./queue-scripts.ts";
import type { Call, ScenarioOptions, ScenarioType, StepList } from "./script.ts";
import { attendedTransferScript, coldTransferScript } from "./transfer-scripts.ts";
import { abandonedScript, missedScript, voicemailScript } from "./unanswered-scripts.ts";

interface Step {
  name: string;
  run(): void;
  done: boolean;
}

export interface Scenario {
  id: string;
  type: ScenarioType;
  accountId: string;
  /** The main session; attended transfers add the consultation session to `telephonySessionIds`. */
  session: SimSession;
  sessions: SimSession[];
  steps: Step[];
  nextStep: number;
  stepDelayMs: number;
  createdAt: Date;
}

interface ScenarioState {
  scenarios: Map<string, Scenario>;
  count: number;
}

const scenarioState = simulatorScoped<ScenarioState>(() => ({ scenarios: new Map(), count: 0 }));

const originOf: Record<ScenarioType, SessionOrigin> = {
  inbound: "Call",
  ivr: "Call",
  queue: "Call",
  missed: "Call",
  abandoned: "Call",
  voicemail: "Call",
  "cold-transfer": "Call",
  "attended-transfer": "Call",
  outbound: "Call",
  "ring-out": "RingOut",
  "call-out": "CallOut",
  "extension-to-extension": "Call",
};

function scriptFor(type: ScenarioType, call: Call, sessions: SimSession[]): StepList {
  switch (type) {
    case "inbound":
      return inboundScript(call);
    case "ivr":
      return ivrScript(call);
    case "queue":
      return queueScript(call);
    case "missed":
      return missedScript(call);
    case "abandoned":
      return abandonedScript(call);
    case "voicemail":
      return voicemailScript(call);
    case "cold-transfer":
      return coldTransferScript(call);
    case "attended-transfer":
      return attendedTransferScript(call, sessions);
    case "outbound":
    case "ring-out":
    case "call-out":
      return outboundScript(call);
    case "extension-to-extension":
      return extensionToExtensionScript(call);
  }
}

/** Builds a scenario (no step run yet). Throws ScenarioInputError on unusable options. */
export function createScenario(ctx: SimContext, type: ScenarioType, options: ScenarioOptions = {}): Scenario {
  const account = accountFor(ctx, options.accountId);
  const session = createSession(ctx, account.id, options.origin ?? originOf[type]);
  const sessions = [session];
  const steps = scriptFor(type, { ctx, account, session, options }, sessions);
  const state = scenarioState.of(ctx);
  state.count += 1;
  const scenario: Scenario = {
    id: `scn-${state.count}`,
    type,
    accountId: account.id,
    session,
    sessions,
    steps: steps.map((s) => ({ ...s, done: false })),
    nextStep: 0,
    stepDelayMs: options.stepDelayMs ?? 0,
    createdAt: ctx.now(),
  };
  state.scenarios.set(scenario.id, scenario);
  return scenario;
}

export function runNextStep(scenario: Scenario): boolean {
  const step = scenario.steps[scenario.nextStep];
  if (!step) return false;
  step.run();
  step.done = true;
  scenario.nextStep += 1;
  return true;
}

/** Runs the remaining steps: synchronously, or one per `stepDelayMs` in the background. */
export function runRemainingSteps(scenario: Scenario): void {
  if (scenario.stepDelayMs <= 0) {
    while (runNextStep(scenario));
    return;
  }
  const tick = (): void => {
    if (runNextStep(scenario) && scenario.nextStep < scenario.steps.length) setTimeout(tick, scenario.stepDelayMs);
  };
  setTimeout(tick, scenario.stepDelayMs);
}

/** Runs the remaining steps after the current request finished, `delayMs` apart (calls the app started). */
export function runRemainingStepsLater(scenario: Scenario, delayMs: number): void {
  const tick = (): void => {
    if (runNextStep(scenario) && scenario.nextStep < scenario.steps.length) setTimeout(tick, delayMs).unref();
  };
  setTimeout(tick, delayMs).unref();
}

export function findScenario(ctx: SimContext, id: string): Scenario | undefined {
  return scenarioState.of(ctx).scenarios.get(id);
}

export function allScenarios(ctx: SimContext): Scenario[] {
  return [...scenarioState.of(ctx).scenarios.values()];
}

/** Forgets this simulator's scenarios (POST /__sim/reset); numbering starts again at scn-1. */
export function forgetScenarios(ctx: SimContext): void {
  scenarioState.reset(ctx);
}

export function scenarioView(scenario: Scenario) {
  return {
    id: scenario.id,
    type: scenario.type,
    accountId: scenario.accountId,
    telephonySessionId: scenario.session.id,
    sessionId: scenario.session.sessionId,
    telephonySessionIds: scenario.sessions.map((s) => s.id),
    steps: scenario.steps.map((s, index) => ({ index, name: s.name, done: s.done })),
    nextStep: scenario.steps[scenario.nextStep]?.name ?? null,
    finished: scenario.nextStep >= scenario.steps.length,
    parties: scenario.sessions.flatMap((s) =>
      s.parties.map((p) => ({
        telephonySessionId: s.id,
        partyId: p.id,
        role: p.sim.role,
        extensionId: p.extensionId ?? null,
        direction: p.direction,
        status: p.status.code,
      })),
    ),
  };
}
