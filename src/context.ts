// Per-request (HTTP) and per-operation (WebSocket) context: the viewer, the database and pub/sub.
import type { Logger } from "./logger.ts";
import type { PrismaClient } from "./db.ts";
import type { PubSub } from "./pubsub.ts";
import type { Viewer } from "./domain/access.ts";
import type { Deps, LiveEventSource } from "./domain/event-log.ts";
import type { SmsSender } from "./domain/sms/sender.ts";
import type { AgentCallControlFactory } from "./domain/call-control.ts";
import { authenticate, bearerToken } from "./domain/tokens.ts";
import { EncryptionKeyRequiredError } from "./domain/ringcentral-errors.ts";
import { ringCentralGateway } from "./integrations/ringcentral/gateway.ts";
import type { RingCentralServices } from "./integrations/ringcentral/services.ts";
import type { LiveAccess } from "./live-access.ts";

export interface Services {
  prisma: PrismaClient;
  pubsub: PubSub;
  /** Live events for subscriptions, exactly once and in order (src/live-events.ts). */
  liveEvents: LiveEventSource;
  log: Logger;
  /** Secrets and the RingCentral gateway (src/integrations/ringcentral/services.ts). Without them
   * RingCentral cannot be connected: credentials could not be stored encrypted. */
  ringCentral?: RingCentralServices;
  /** The SmsSender for an SMS channel (src/domain/sms/sender.ts); without it sending SMS fails with
   * RINGCENTRAL_NOT_CONNECTED. */
  smsSender?: (channelId: string) => Promise<SmsSender>;
  /** Each user's own RingCentral session as call control (src/domain/call-control.ts); without it
   * call control fails as RingCentral does when it is not configured. */
  callControl?: AgentCallControlFactory;
  /** Access changes for live operations (src/live-access.ts); without it their viewer never changes. */
  access?: LiveAccess;
  /** The wall clock (default: the system's; tests move it): when an inbox's day ends for queueStatus. */
  clock?: () => Date;
}

export interface Context extends Deps {
  liveEvents: LiveEventSource;
  viewer: Viewer | null;
  /** An Authorization value was sent (so a null viewer means it was refused, not missing). */
  tokenPresented: boolean;
  log: Logger;
  ringCentral: RingCentralServices;
  smsSender?: (channelId: string) => Promise<SmsSender>;
  callControl: AgentCallControlFactory;
  access?: LiveAccess;
  clock: () => Date;
}

const systemClock = () => new Date();

const noKey = () => {
  throw new EncryptionKeyRequiredError("RingCentral is not configured in this process: no encryption key was set up");
};

/** Used when the process was started without RingCentral services: every attempt fails clearly. */
const unconfiguredRingCentral: RingCentralServices = {
  secrets: { seal: async () => noKey(), open: async () => noKey() },
  gateway: ringCentralGateway(),
  clientDefaults: {},
};

const unconfiguredCallControl: AgentCallControlFactory = async () => noKey();

/** Resolves the viewer once per request from its Authorization value: the HTTP header, or on graphql-ws
 * the operation's `extensions.headers` or the connection's `connectionParams` (src/server.ts). */
export async function buildContext(services: Services, authorization: string | null | undefined): Promise<Context> {
  const token = bearerToken(authorization);
  const viewer = token ? await authenticate(services.prisma, token) : null;
  return {
    prisma: services.prisma,
    pubsub: services.pubsub,
    liveEvents: services.liveEvents,
    log: services.log,
    viewer,
    tokenPresented: Boolean(authorization?.trim()),
    ringCentral: services.ringCentral ?? unconfiguredRingCentral,
    ...(services.smsSender ? { smsSender: services.smsSender } : {}),
    callControl: services.callControl ?? unconfiguredCallControl,
    ...(services.access ? { access: services.access } : {}),
    clock: services.clock ?? systemClock,
  };
}
