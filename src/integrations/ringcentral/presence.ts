// Presence (R2.4): the worker subscribes to the detailed presence of the account's user extensions
// (Do Not Disturb and telephony state) and applies it to their users' availability
// (src/domain/presence.ts); after a gap it reads the current presence of the teammates' extensions.
import type { Logger } from "../../logger.ts";
import type { Deps } from "../../domain/event-log.ts";
import type { CallDirectory } from "../../domain/telephony.ts";
import { applyPresence } from "../../domain/presence.ts";
import type { NotificationHandler } from "./dispatcher.ts";
import { extensionOfEvent } from "./messaging.ts";
import { parsePresence } from "./notifications.ts";
import type { RestApi } from "./rest.ts";

/** The event filter of an extension's presence, with its telephony state and DND (REFERENCE §2.3). */
export function presenceFilter(extensionId: string): string {
  return `/restapi/v1.0/account/~/extension/${extensionId}/presence?detailedTelephonyState=true`;
}

export function presenceHandler(deps: Deps, directory: CallDirectory): NotificationHandler {
  return (envelope) => applyPresence(deps, directory, parsePresence(envelope.body, extensionOfEvent(envelope.event)));
}

/** Reads and applies the current presence of these extensions (one request each). */
export async function syncPresence(
  platform: RestApi,
  deps: Deps,
  directory: CallDirectory,
  extensionIds: string[],
  log: Logger,
): Promise<void> {
  for (const extensionId of extensionIds) {
    try {
      const response = await platform.get(`/restapi/v1.0/account/~/extension/${extensionId}/presence`, {
        detailedTelephonyState: true,
      });
      await applyPresence(deps, directory, parsePresence(await response.json(), extensionId, true));
    } catch (error) {
      log.warn({ err: error, extensionId }, "could not read an extension's presence");
    }
  }
}
