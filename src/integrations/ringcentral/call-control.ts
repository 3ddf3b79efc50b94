// The agent's own RingCentral session as the domain's AgentCallControl (src/domain/call-control.ts):
// RingCentral's Call Control API on the agent's party, and RingOut for outbound calls (REFERENCE §4).
//
// A warm transfer's consultation is a CallOut from the device the agent is on (it needs no caller
// id: the colleague is called, not the customer), completed with Bridge (REFERENCE §4).
//
// Outbound calls use RingOut, not CallOut: RingOut takes a `callerId`, so the customer sees the
// channel's company number (R3.9) whatever phone the agent answers on; CallOut has no caller-id
// parameter (the callee sees the device owner's default caller id) and needs the id of a
// RingCentral desk or soft phone. RingOut's first leg rings the agent's own direct number.
//
// RingCentral answers are turned into the domain's errors: 404 (the call is gone) and 409 (wrong
// state, TAS-106) become CONFLICT with a clear message; 401s, 403s, 429s and 5xx come out of the
// client already typed (src/integrations/ringcentral/client.ts).
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type {
  AgentCallControl,
  AgentCallControlFactory,
  PartyRef,
  RingOutRequest,
  TransferDestination,
} from "../../domain/call-control.ts";
import { ConflictError } from "../../domain/errors.ts";
import { RingCentralRequestError } from "../../domain/ringcentral-errors.ts";
import type { RingCentralClient } from "./client.ts";
import { agentClient, type RingCentralServices } from "./services.ts";

/** Extension id per user (the extension their session logs in as), so an action costs one request. */
const extensionIds = new WeakMap<RingCentralServices, Map<string, string>>();

function extensionCache(services: RingCentralServices): Map<string, string> {
  let cache = extensionIds.get(services);
  if (!cache) {
    cache = new Map();
    extensionIds.set(services, cache);
  }
  return cache;
}

function partyPath(party: PartyRef): string {
  return (
    `/restapi/v1.0/account/~/telephony/sessions/${encodeURIComponent(party.telephonySessionId)}` +
    `/parties/${encodeURIComponent(party.partyId)}`
  );
}

/** RingCentral's refusals that are about the call, in words an agent understands. */
function explained(error: unknown): unknown {
  if (!(error instanceof RingCentralRequestError)) return error;
  if (error.status === 404) return new ConflictError("The call is no longer active at RingCentral", "callId");
  if (error.status === 409)
    return new ConflictError(
      `RingCentral refused: the call is not in a state that allows this (${error.ringCentralCode ?? "409"})`,
      "callId",
    );
  return error;
}

interface RawNumber {
  phoneNumber?: string;
  usageType?: string;
  features?: string[];
}

class AgentSessionCallControl implements AgentCallControl {
  constructor(
    private readonly client: RingCentralClient,
    private readonly userId: string,
    private readonly cache: Map<string, string>,
  ) {}

  private async send(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<unknown> {
    try {
      return await this.client.request(method, path, body);
    } catch (error) {
      throw explained(error);
    }
  }

  async extensionId(): Promise<string> {
    const cached = this.cache.get(this.userId);
    if (cached) return cached;
    const info = await this.client.extensionInfo("~");
    this.cache.set(this.userId, info.id);
    return info.id;
  }

  async answer(party: PartyRef): Promise<void> {
    // RingCentral answers on a device: the ringing leg names it when it rings a RingCentral phone.
    const current = (await this.send("GET", partyPath(party))) as { to?: { deviceId?: string } } | null;
    const deviceId = current?.to?.deviceId;
    await this.send("POST", `${partyPath(party)}/answer`, deviceId ? { deviceId } : {});
  }

  async hold(party: PartyRef): Promise<void> {
    await this.send("POST", `${partyPath(party)}/hold`, {});
  }

  async unhold(party: PartyRef): Promise<void> {
    await this.send("POST", `${partyPath(party)}/unhold`, {});
  }

  async setMuted(party: PartyRef, muted: boolean): Promise<void> {
    await this.send("PATCH", partyPath(party), { party: { muted } });
  }

  async hangUp(party: PartyRef): Promise<void> {
    await this.send(
      "DELETE",
      `/restapi/v1.0/account/~/telephony/sessions/${encodeURIComponent(party.telephonySessionId)}`,
    );
  }

  async reject(party: PartyRef): Promise<void> {
    await this.send("POST", `${partyPath(party)}/reject`, {});
  }

  async toVoicemail(party: PartyRef, ringing: boolean, mailboxExtensionId: string): Promise<void> {
    // A ringing call is forwarded; a connected one can only be transferred (REFERENCE §4).
    await this.send("POST", `${partyPath(party)}/${ringing ? "forward" : "transfer"}`, {
      voicemail: mailboxExtensionId,
    });
  }

  async transfer(party: PartyRef, destination: TransferDestination): Promise<void> {
    await this.send("POST", `${partyPath(party)}/transfer`, destination);
  }

  /**
   * The device the agent's party is on (RingCentral names it on calls from and to its phones),
   * else their first online device: the consultation call is placed from it.
   */
  private async deviceOf(party: PartyRef): Promise<string> {
    const own = await this.extensionId();
    const current = (await this.send("GET", partyPath(party))) as {
      from?: { extensionId?: string; deviceId?: string };
      to?: { extensionId?: string; deviceId?: string };
    } | null;
    const onParty = [current?.from, current?.to].find((end) => end?.deviceId && end.extensionId === own)?.deviceId;
    if (onParty) return onParty;
    const devices = (await this.send("GET", "/restapi/v1.0/account/~/extension/~/device")) as {
      records?: { id?: string | number; status?: string }[];
    } | null;
    const records = (devices?.records ?? []).filter((d) => d.id !== undefined);
    const device = records.find((d) => d.status === "Online") ?? records[0];
    if (!device)
      throw new ConflictError("Your RingCentral extension has no phone to place the consultation from", "callId");
    return String(device.id);
  }

  async consult(party: PartyRef, destination: TransferDestination): Promise<PartyRef> {
    const deviceId = await this.deviceOf(party);
    const own = await this.extensionId();
    const json = (await this.send("POST", "/restapi/v1.0/account/~/telephony/call-out", {
      from: { deviceId },
      to: destination,
    })) as { session?: { id?: string; parties?: { id?: string; owner?: { extensionId?: string } }[] } } | null;
    const session = json?.session;
    const parties = session?.parties ?? [];
    const mine = parties.find((p) => p.owner?.extensionId === own) ?? parties[0];
    if (!session?.id || !mine?.id) throw new Error("RingCentral's CallOut answer names no session or party");
    return { telephonySessionId: session.id, partyId: mine.id };
  }

  async bridge(party: PartyRef, other: PartyRef): Promise<void> {
    await this.send("POST", `${partyPath(party)}/bridge`, other);
  }

  /** The phone RingOut rings first: the agent's own direct number (else any number of theirs). */
  private async ownNumber(): Promise<string> {
    const json = (await this.send("GET", "/restapi/v1.0/account/~/extension/~/phone-number")) as {
      records?: RawNumber[];
    } | null;
    const records = (json?.records ?? []).filter((r) => typeof r.phoneNumber === "string");
    const direct = records.find((r) => r.usageType === "DirectNumber") ?? records[0];
    if (!direct?.phoneNumber)
      throw new ConflictError("Your RingCentral extension has no phone number to ring first", "channelId");
    return direct.phoneNumber;
  }

  async ringOut(request: RingOutRequest): Promise<{ ringOutId: string | null }> {
    const from = await this.ownNumber();
    const json = (await this.send("POST", "/restapi/v1.0/account/~/extension/~/ring-out", {
      from: { phoneNumber: from },
      to: { phoneNumber: request.to },
      callerId: { phoneNumber: request.callerId },
      playPrompt: false,
    })) as { id?: string | number } | null;
    return { ringOutId: json?.id !== undefined ? String(json.id) : null };
  }
}

/** The AgentCallControlFactory of the API: each user's own stored session. */
export function agentCallControl(prisma: PrismaClient, services: RingCentralServices): AgentCallControlFactory {
  const cache = extensionCache(services);
  return async (userId) => new AgentSessionCallControl(await agentClient(prisma, services, userId), userId, cache);
}
