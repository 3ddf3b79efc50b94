// Feature modules mounted by the simulator's server (server.ts), in addition to the platform's own
// (account, presence, subscriptions, control). Append a module's export here to mount it:
//
//   import { telephonyModule } from "./telephony.ts";
//   export const featureModules: RouteModule[] = [telephonyModule];
//
// Every route gets bearer auth, `~` resolution for `:accountId`/`:extensionId`, a check that
// `:accountId` is the caller's account, and its `throttlingGroup`'s rate limit. Routes whose path
// starts with `/__sim/` are control routes instead: no auth, no rate limit, `req.auth === null`.
// `reset(ctx)` runs on `POST /__sim/reset` and clears only that simulator's state.

import type { RouteModule } from "./core.ts";
import { callControlModule } from "./call-control.ts";
import { callLogModule } from "./call-log.ts";
import { messagesModule } from "./messages/routes.ts";
import { recordingsModule } from "./recordings.ts";
import { scenariosModule } from "./scenarios/routes.ts";
import { telephonyModule } from "./telephony.ts";

export const featureModules: RouteModule[] = [
  telephonyModule,
  callControlModule,
  scenariosModule,
  callLogModule,
  recordingsModule,
  messagesModule,
];
