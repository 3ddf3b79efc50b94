// The three real RingCentral call captures (../shared/ringcentral/captures), and the directory of
// the account they were recorded on (the simulator's default account reuses its ids).
import fs from "node:fs";
import path from "node:path";
import type { CallDirectory, ExtensionInfo } from "../../src/domain/calls.ts";
import type { Envelope } from "../../src/integrations/ringcentral/notifications.ts";

const capturesDir = path.resolve(import.meta.dirname, "../../../shared/ringcentral/captures");

export const CAPTURES = {
  inbound: "inbound-pstn-ivr-to-user-answered-hold.jsonl",
  outbound: "outbound-user-to-pstn-answered-hold.jsonl",
  extensionToExtension: "extension-to-extension-answered-hold.jsonl",
} as const;

export function readCapture(name: string): Envelope[] {
  return fs
    .readFileSync(path.join(capturesDir, name), "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Envelope);
}

/** The same notifications as another call: fresh session id and uuids, so runs don't collide. */
export function asNewCall(envelopes: Envelope[], suffix: string): Envelope[] {
  return envelopes.map((e) => {
    const body = e.body as { telephonySessionId: string };
    return {
      ...e,
      uuid: `${e.uuid}-${suffix}`,
      body: { ...body, telephonySessionId: `${body.telephonySessionId}-${suffix}` },
    };
  });
}

export const CAPTURE_EXTENSIONS: ExtensionInfo[] = [
  { id: "809646016", type: "User", email: "admin@switchboard.test" },
  { id: "979428016", type: "User", email: "dispatcher@switchboard.test" },
  { id: "62264425016", type: "User", email: "alice@switchboard.test" },
  { id: "62264426016", type: "User", email: "bob@switchboard.test" },
  { id: "62242421016", type: "IvrMenu" },
  { id: "62242422016", type: "Department" },
];

export const captureDirectory: CallDirectory = {
  extension: (id) => CAPTURE_EXTENSIONS.find((e) => e.id === id),
};

/** Numbers of the capture account: the main (IVR) number and the dispatcher's direct number. */
export const MAIN_NUMBER = "+18003151571";
export const DISPATCHER_NUMBER = "+17203861294";
export const CALLER_NUMBER = "+14083388064";
