// The RingCentral simulator: a fake RingCentral platform (HTTP + WebSocket) for tests, benchmarks
// and `switchboard demo`. See docs/simulator.md.

export * from "./core.ts";
export { startSimulator, runSimulatorCli } from "./server.ts";
export type { Simulator, SimulatorOptions } from "./server.ts";
export { filterMatches, expandFilter } from "./subscriptions.ts";
export { presenceBookOf } from "./presence.ts";
