// The scenario control routes: /__sim/scenarios (create, list, read, step, run) and
// /__sim/calls/:telephonySessionId/hangup.

import { notFound, type RouteModule, type SimContext, type SimRequest, type SimResponse } from "../core.ts";
import { invalidValue, jsonObject } from "../scoped-state.ts";
import { accountFor, findSession, isEnded } from "../telephony.ts";
import {
  allScenarios,
  createScenario,
  findScenario,
  forgetScenarios,
  runNextStep,
  runRemainingSteps,
  scenarioView,
  type Scenario,
} from "./engine.ts";
import { hangUp } from "./party-moves.ts";
import { ScenarioInputError, scenarioTypes, type Call, type ScenarioOptions, type ScenarioType } from "./script.ts";

function isScenarioType(value: unknown): value is ScenarioType {
  return typeof value === "string" && (scenarioTypes as readonly string[]).includes(value);
}

function postScenario(req: SimRequest, ctx: SimContext): SimResponse {
  const body = jsonObject(req.body);
  if (!isScenarioType(body.type)) {
    return invalidValue("type", `one of ${scenarioTypes.join(", ")}`);
  }
  const mode = body.mode ?? "all";
  if (mode !== "all" && mode !== "step") return invalidValue("mode", "all or step");
  let scenario: Scenario;
  try {
    scenario = createScenario(ctx, body.type, body as ScenarioOptions);
  } catch (error) {
    if (error instanceof ScenarioInputError) return invalidValue(error.parameterName, error.message);
    throw error;
  }
  if (mode === "all") runRemainingSteps(scenario);
  return { status: 201, json: scenarioView(scenario) };
}

function postStep(req: SimRequest, ctx: SimContext): SimResponse {
  const scenario = findScenario(ctx, req.params.id ?? "");
  if (!scenario) return notFound("scenarioId");
  const count = Number(jsonObject(req.body).count ?? 1);
  if (!Number.isInteger(count) || count < 1) return invalidValue("count");
  if (scenario.nextStep >= scenario.steps.length) {
    return { status: 409, json: { errorCode: "SIM-409", message: "The scenario has no steps left", errors: [] } };
  }
  for (let i = 0; i < count && runNextStep(scenario); i++);
  return { status: 200, json: scenarioView(scenario) };
}

function postRun(req: SimRequest, ctx: SimContext): SimResponse {
  const scenario = findScenario(ctx, req.params.id ?? "");
  if (!scenario) return notFound("scenarioId");
  runRemainingSteps(scenario);
  return { status: 200, json: scenarioView(scenario) };
}

function getScenario(req: SimRequest, ctx: SimContext): SimResponse {
  const scenario = findScenario(ctx, req.params.id ?? "");
  if (!scenario) return notFound("scenarioId");
  return { status: 200, json: scenarioView(scenario) };
}

function listScenarios(_req: SimRequest, ctx: SimContext): SimResponse {
  return { status: 200, json: { records: allScenarios(ctx).map(scenarioView) } };
}

/** Ends a call from the outside: the caller (default) or everyone hangs up. */
function postHangup(req: SimRequest, ctx: SimContext): SimResponse {
  const session = findSession(ctx, req.params.telephonySessionId ?? "");
  if (!session || session.endedAt) return notFound("telephonySessionId");
  const account = accountFor(ctx, session.accountId);
  const call: Call = { ctx, account, session, options: {} };
  const by = jsonObject(req.body).by ?? "caller";
  const first =
    by === "caller"
      ? session.parties.find((p) => p.sim.role === "caller" || p.sim.role === "callee")
      : session.parties.find((p) => p.extensionId && !isEnded(p.status.code));
  hangUp(call, first);
  const parties = session.parties.map((p) => ({ id: p.id, status: p.status.code }));
  return { status: 200, json: { telephonySessionId: session.id, parties } };
}

export const scenariosModule: RouteModule = {
  name: "scenarios",
  routes: [
    { method: "POST", path: "/__sim/scenarios", handler: postScenario },
    { method: "GET", path: "/__sim/scenarios", handler: listScenarios },
    { method: "GET", path: "/__sim/scenarios/:id", handler: getScenario },
    { method: "POST", path: "/__sim/scenarios/:id/step", handler: postStep },
    { method: "POST", path: "/__sim/scenarios/:id/run", handler: postRun },
    { method: "POST", path: "/__sim/calls/:telephonySessionId/hangup", handler: postHangup },
  ],
  reset(ctx) {
    forgetScenarios(ctx);
  },
};
