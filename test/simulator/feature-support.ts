// Shared set-up for the telephony and messaging tests (calls-*.test.ts, messages-*.test.ts): a
// real simulator on port 0, its control API, and a real @ringcentral/subscriptions subscription
// to receive notifications the way the app does.

import { readFileSync } from "node:fs";
import { Subscriptions } from "@ringcentral/subscriptions";
import type { SDK } from "@ringcentral/sdk";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { control, loggedInSdk } from "./platform-harness.ts";

export interface Notification {
  uuid: string;
  event: string;
  timestamp: string;
  subscriptionId?: string;
  ownerId?: string;
  body: any;
}

/** A live WebSocket subscription that collects notifications and lets a test await one. */
export class NotificationInbox {
  readonly received: Notification[] = [];
  private waiters: { predicate: (n: Notification) => boolean; resolve: (n: Notification) => void }[] = [];
  revoke: () => Promise<void> = async () => {};

  accept(notification: Notification): void {
    this.received.push(notification);
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate(notification)) return true;
      w.resolve(notification);
      return false;
    });
  }

  /** The first notification (from position `from` on) matching `predicate`, now or when it arrives. */
  next(predicate: (n: Notification) => boolean, from = 0): Promise<Notification> {
    const seen = this.received.slice(from).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  forSession(telephonySessionId: string): Notification[] {
    return this.received.filter((n) => n.body?.telephonySessionId === telephonySessionId);
  }

  /** Resolves once `count` notifications of the session arrived. */
  async sessionEvents(telephonySessionId: string, count: number): Promise<Notification[]> {
    while (this.forSession(telephonySessionId).length < count) {
      await new Promise<Notification>((resolve) =>
        this.waiters.push({ predicate: (n) => n.body?.telephonySessionId === telephonySessionId, resolve }),
      );
    }
    return this.forSession(telephonySessionId);
  }
}

export async function subscribe(sdk: SDK, eventFilters: string[]): Promise<NotificationInbox> {
  const inbox = new NotificationInbox();
  const subscriptions = new Subscriptions({ sdk });
  const subscription = subscriptions.createSubscription();
  subscription.on(subscription.events.notification, (n: unknown) => inbox.accept(n as Notification));
  const registered = await subscription.setEventFilters(eventFilters).register();
  inbox.revoke = async () => {
    await registered.revoke();
  };
  return inbox;
}

export const ACCOUNT_SESSIONS = "/restapi/v1.0/account/~/telephony/sessions";

/** Extensions and numbers of the simulator's default account (modelled on the captures). */
export const seeded = {
  admin: "809646016", // TESTER Babji, ext 11101, +19043014558
  dispatcher: "979428016", // Message Dispatcher, ext 11104, +17203861294
  alice: "62264425016", // ext 11102, +16505550111
  bob: "62264426016", // ext 11103, +16505550112
  ivr: "62242421016", // IVR Menu 1001, main number +18003151571
  queue: "62242422016", // Support, members dispatcher/alice/bob, +16505550199
  adminNumber: "+19043014558",
  aliceNumber: "+16505550111",
  mainNumber: "+18003151571",
  queueNumber: "+16505550199",
} as const;

export async function startScenario(sim: Simulator, body: Record<string, unknown>): Promise<any> {
  const response = await control(sim, "POST", "/__sim/scenarios", body);
  if (response.status !== 201) throw new Error(`scenario failed: ${JSON.stringify(response.json)}`);
  return response.json;
}

export async function step(sim: Simulator, scenarioId: string, count = 1): Promise<any> {
  return (await control(sim, "POST", `/__sim/scenarios/${scenarioId}/step`, { count })).json;
}

/** Every notification the simulator published for a session, in publishing order (control API). */
export async function publishedFor(sim: Simulator, telephonySessionId: string): Promise<Notification[]> {
  const history = await control(sim, "GET", "/__sim/notifications");
  return history.json.records.filter((n: Notification) => n.body?.telephonySessionId === telephonySessionId);
}

/** A one-line picture of a telephony notification: party number, direction, status (and reason). */
export function partyLine(n: Notification): string {
  const party = n.body.parties[0];
  const reason = party.status.reason ? `/${party.status.reason}` : "";
  return `p${party.id.split("-").at(-1)} ${party.direction} ${party.status.code}${reason}`;
}

export function readCapture(name: string): Notification[] {
  const text = readFileSync(new URL(`../../../shared/ringcentral/captures/${name}.jsonl`, import.meta.url), "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Notification);
}

export { control, loggedInSdk };
