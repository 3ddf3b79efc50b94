// The RingCentral simulator: a fake RingCentral platform (HTTP + WebSocket) for tests, benchmarks
// and `switchboard demo`. See docs/simulator.md.

export * from "./core.ts";
export { startSimulator, createSimulator, runSimulatorCli, SimulatorPlatform } from "./server.ts";
export type { Simulator, SimulatorOptions } from "./server.ts";
export type { ControllablePlatform, SimulatorCredentials } from "./platform.ts";
export { featureModules } from "./modules.ts";
export { DEFAULT_ACCOUNT_ID, defaultAccount, accountOf, extensionOf, extensionJson } from "./account.ts";
export { pageOf, type PagedList } from "./paging.ts";
export { filterMatches, expandFilter, type NotificationEnvelope, type SimSubscription } from "./subscriptions.ts";
export { notificationUuid, type NotificationInput } from "./notifications.ts";
export { PresenceBook, presenceBookOf, type TelephonyStatus } from "./presence.ts";
export { JWT_GRANT } from "./auth.ts";
