// State that belongs to one running simulator. Feature modules are static objects shared by every
// simulator in the process (tests start several), so their state is keyed by the simulator's
// SimContext, which the platform creates once per running simulator.

import { invalidParameter, type SimContext, type SimResponse } from "./core.ts";

export interface SimulatorScoped<T> {
  /** This simulator's state, created on first use. */
  of(ctx: SimContext): T;
  /** Forget this simulator's state (the module's `reset(ctx)`); other simulators keep theirs. */
  reset(ctx: SimContext): void;
}

export function simulatorScoped<T>(create: (ctx: SimContext) => T): SimulatorScoped<T> {
  const states = new WeakMap<SimContext, T>();
  return {
    of(ctx) {
      let state = states.get(ctx);
      if (state === undefined) {
        state = create(ctx);
        states.set(ctx, state);
      }
      return state;
    },
    reset(ctx) {
      states.delete(ctx);
    },
  };
}

/** 400 CMN-101 with RingCentral's message format and an optional bracketed detail. */
export function invalidValue(parameterName: string, detail?: string): SimResponse {
  return invalidParameter(
    parameterName,
    `Parameter [${parameterName}] value is invalid${detail ? ` [${detail}]` : "."}`,
  );
}

/** Numeric ids in RingCentral's style (large integers ending in the "016" data-centre suffix). */
let lastNumericId = Math.floor(Date.now() / 1000) * 1000;
export function numericId(): string {
  lastNumericId += 1;
  return `${lastNumericId}016`.slice(-15);
}

/** A JSON object body, or an empty object when the body is missing or not an object. */
export function jsonObject(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === "object" && !Array.isArray(body) && !Buffer.isBuffer(body)
    ? (body as Record<string, unknown>)
    : {};
}
