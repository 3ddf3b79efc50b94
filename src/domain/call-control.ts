// Call control (R3.10), outbound calls (R3.9) and the agent's login-expiry notice (R2.5). An agent
// acts on their own active call through their own RingCentral session. Everything that can be
// checked here is checked before RingCentral is asked: the call is visible, numbers are valid, the
// viewer has a party on the call in a state that allows the action. The change itself comes back
// through the worker's telephony notifications (src/domain/calls.ts), so these functions return
// the call as it is now, not as it will be.
//
// RingCentral is reached through an `AgentCallControl` (src/integrations/ringcentral/call-control.ts).
import type { CallParty, Channel, PrismaClient } from "../generated/prisma/client.ts";
import type { Viewer } from "./access.ts";
import { visibleCalls, visibleContacts } from "./access.ts";
import { requireUsableChannel } from "./channels.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import { inTransaction, type Deps } from "./event-log.ts";
import type { EventType } from "./events.ts";
import { regionOf, requireE164 } from "./phone-numbers.ts";
import { RingCentralAuthError, RingCentralLoginRequiredError } from "./ringcentral-errors.ts";
import { lockAgentLogin } from "../store/locks.ts";
import { userWasSentSince } from "../store/event-log.ts";

/** A party of a RingCentral telephony session. */
export interface PartyRef {
  telephonySessionId: string;
  partyId: string;
}

export type TransferDestination = { extensionNumber: string } | { phoneNumber: string };

export interface RingOutRequest {
  /** The number the customer sees: the channel's company number. */
  callerId: string;
  /** Who is called, E.164. */
  to: string;
}

/** The agent's own RingCentral session, as call control needs it. Failures are typed domain errors. */
export interface AgentCallControl {
  /** The RingCentral extension the agent's session logs in as. */
  extensionId(): Promise<string>;
  answer(party: PartyRef): Promise<void>;
  hold(party: PartyRef): Promise<void>;
  unhold(party: PartyRef): Promise<void>;
  setMuted(party: PartyRef, muted: boolean): Promise<void>;
  /** Ends the call (RingCentral's "drop call session"). */
  hangUp(party: PartyRef): Promise<void>;
  /** Declines a ringing call. */
  reject(party: PartyRef): Promise<void>;
  /** A ringing call is forwarded, a connected one transferred, to `mailboxExtensionId`'s voicemail. */
  toVoicemail(party: PartyRef, ringing: boolean, mailboxExtensionId: string): Promise<void>;
  transfer(party: PartyRef, destination: TransferDestination): Promise<void>;
  /** Calls `destination` from the device the agent is on (CallOut); their party on the new call. */
  consult(party: PartyRef, destination: TransferDestination): Promise<PartyRef>;
  /** Joins the party's call and the agent's other call (`other`, their party on it), leaving both. */
  bridge(party: PartyRef, other: PartyRef): Promise<void>;
  /** Places a call: RingCentral rings the agent first, then `to`, showing `callerId`. */
  ringOut(request: RingOutRequest): Promise<{ ringOutId: string | null }>;
}

/** The agent's session, or RingCentralLoginRequiredError when they have none (or it expired). */
export type AgentCallControlFactory = (userId: string) => Promise<AgentCallControl>;

export interface CallControlDeps extends Deps {
  callControl: AgentCallControlFactory;
}

export type CallAction = "ANSWER" | "HOLD" | "RESUME" | "MUTE" | "UNMUTE" | "HANG_UP" | "TO_VOICEMAIL" | "TRANSFER";

const RINGING = new Set(["Setup", "Proceeding"]);
const CONNECTED = new Set(["Answered", "Hold"]);

/** The event told to the agent when their RingCentral login is found expired (R2.5). */
export const LOGIN_EXPIRED_EVENT = "RINGCENTRAL_LOGIN_EXPIRED" satisfies EventType;

async function requireVisibleCall(prisma: PrismaClient, viewer: Viewer, callId: string) {
  const call = await prisma.call.findFirst({
    where: { AND: [{ id: callId }, visibleCalls(viewer)] },
    include: { parties: true },
  });
  if (!call) throw new NotFoundError("Call");
  return call;
}

/**
 * The viewer's live leg of the call: their extension's newest party that has not ended. A transfer
 * leaves the old leg ended, so an agent who took a transferred call acts on the new leg.
 */
function partyOf(parties: CallParty[], extensionId: string): CallParty | null {
  const own = parties
    .filter((p) => p.extensionId === extensionId && !p.endedAt)
    .sort((a, b) => b.firstEventAt.getTime() - a.firstEventAt.getTime());
  return own[0] ?? null;
}

function notAllowed(message: string): ConflictError {
  return new ConflictError(message, "callId");
}

/** Refuses an action the party's state does not allow, with a message saying why. */
function checkState(action: CallAction, party: CallParty): void {
  const ringing = RINGING.has(party.statusCode);
  const connected = CONNECTED.has(party.statusCode);
  switch (action) {
    case "ANSWER":
      if (party.direction !== "INBOUND" || !ringing) throw notAllowed("The call is not ringing for you");
      return;
    case "HOLD":
      if (party.statusCode === "Hold") throw notAllowed("The call is already on hold");
      if (party.statusCode !== "Answered") throw notAllowed("The call is not connected");
      return;
    case "RESUME":
      if (party.statusCode !== "Hold") throw notAllowed("The call is not on hold");
      return;
    case "MUTE":
    case "UNMUTE":
    case "TRANSFER":
      if (!connected) throw notAllowed(ringing ? "Answer the call first" : "The call is not connected");
      return;
    case "HANG_UP":
      // Connected, ringing for the agent (declined), or the agent's own outgoing call still ringing.
      if (!connected && !ringing) throw notAllowed("The call is not connected");
      return;
    case "TO_VOICEMAIL":
      if (!connected && !(ringing && party.direction === "INBOUND"))
        throw notAllowed("The call is neither ringing for you nor connected");
      return;
  }
}

/** Reads the viewer's transfer target: exactly one of an extension number or a phone number. */
export function parseTransferDestination(
  input: { toExtensionNumber?: string | null; toPhoneNumber?: string | null },
  region?: Parameters<typeof requireE164>[2],
): TransferDestination {
  const extension = input.toExtensionNumber?.trim();
  const phone = input.toPhoneNumber?.trim();
  if (extension && phone)
    throw new InvalidInputError("Give either an extension number or a phone number, not both", "toExtensionNumber");
  if (extension) {
    if (!/^\d{1,10}$/.test(extension))
      throw new InvalidInputError(`"${extension}" is not an extension number`, "toExtensionNumber");
    return { extensionNumber: extension };
  }
  if (phone) return { phoneNumber: requireE164(phone, "toPhoneNumber", region) };
  throw new InvalidInputError("A transfer needs a destination: an extension number or a phone number", "toPhoneNumber");
}

/**
 * Runs `work` with the agent's own session. A session found dead (refresh refused, or RingCentral
 * answering 401) is marked EXPIRED, the agent is told once on `ringCentralLoginChanged`, and the
 * action fails with RINGCENTRAL_LOGIN_REQUIRED.
 */
export async function withAgentSession<T>(
  deps: CallControlDeps,
  userId: string,
  work: (control: AgentCallControl) => Promise<T>,
): Promise<T> {
  const before = await deps.prisma.agentRingCentralSession.findUnique({
    where: { userId },
    select: { state: true, updatedAt: true },
  });
  try {
    return await work(await deps.callControl(userId));
  } catch (error) {
    if (!(error instanceof RingCentralLoginRequiredError || error instanceof RingCentralAuthError)) throw error;
    if (before?.state === "CONNECTED") await announceExpiredLogin(deps, userId, before.updatedAt);
    if (error instanceof RingCentralAuthError)
      throw new RingCentralLoginRequiredError("Your RingCentral login was refused: connect it again");
    throw error;
  }
}

/**
 * Marks the agent's session EXPIRED (if it is not already) and publishes RINGCENTRAL_LOGIN_EXPIRED
 * to them — once per session: not again when an expiry after `connectedSince` was announced.
 */
export async function announceExpiredLogin(deps: Deps, userId: string, connectedSince: Date): Promise<boolean> {
  return inTransaction(deps, async (tx, log) => {
    await lockAgentLogin(tx, userId);
    const session = await tx.agentRingCentralSession.findUnique({ where: { userId } });
    if (!session) return false; // disconnected meanwhile
    if (session.state !== "EXPIRED")
      await tx.agentRingCentralSession.update({ where: { userId }, data: { state: "EXPIRED" } });
    if (await userWasSentSince(tx, LOGIN_EXPIRED_EVENT, userId, connectedSince)) return false;
    log.append({ type: LOGIN_EXPIRED_EVENT, userIds: [userId], payload: { userId, state: "EXPIRED" } });
    return true;
  });
}

export interface CallActionInput {
  callId: string;
  action: CallAction;
  /** TRANSFER only. */
  toExtensionNumber?: string | null;
  toPhoneNumber?: string | null;
}

/**
 * R3.10: one action on the viewer's own call. Returns the call as stored now; its new state
 * arrives through the worker (subscribe to `callUpdated`).
 */
export async function controlCall(deps: CallControlDeps, viewer: Viewer, input: CallActionInput) {
  const call = await requireVisibleCall(deps.prisma, viewer, input.callId);
  const destination =
    input.action === "TRANSFER"
      ? parseTransferDestination(input, await channelRegionOf(deps.prisma, call.channelId))
      : null;
  if (call.endedAt) throw notAllowed("The call has ended");
  await withAgentSession(deps, viewer.id, async (control) => {
    const extensionId = await control.extensionId();
    const party = partyOf(call.parties, extensionId);
    if (!party) throw notAllowed("You are not on this call");
    checkState(input.action, party);
    const ref = { telephonySessionId: call.telephonySessionId, partyId: party.partyId };
    const ringing = RINGING.has(party.statusCode);
    switch (input.action) {
      case "ANSWER":
        return control.answer(ref);
      case "HOLD":
        return control.hold(ref);
      case "RESUME":
        return control.unhold(ref);
      case "MUTE":
        return control.setMuted(ref, true);
      case "UNMUTE":
        return control.setMuted(ref, false);
      case "HANG_UP":
        return ringing && party.direction === "INBOUND" ? control.reject(ref) : control.hangUp(ref);
      case "TO_VOICEMAIL":
        return control.toVoicemail(ref, ringing, extensionId);
      case "TRANSFER":
        return control.transfer(ref, destination!);
    }
  });
  return deps.prisma.call.findUniqueOrThrow({ where: { id: call.id } });
}

/** The viewer's own connected leg of a visible, live call, and the call. */
async function ownConnectedLeg(deps: CallControlDeps, viewer: Viewer, callId: string, control: AgentCallControl) {
  const call = await requireVisibleCall(deps.prisma, viewer, callId);
  if (call.endedAt) throw notAllowed("The call has ended");
  const party = partyOf(call.parties, await control.extensionId());
  if (!party) throw notAllowed("You are not on this call");
  checkState("TRANSFER", party);
  return { call, party, ref: { telephonySessionId: call.telephonySessionId, partyId: party.partyId } };
}

async function channelRegionOf(prisma: PrismaClient, channelId: string | null) {
  return channelId
    ? regionOf((await prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).phoneNumber)
    : undefined;
}

export interface ConsultInput {
  callId: string;
  toExtensionNumber?: string | null;
  toPhoneNumber?: string | null;
}

/**
 * Warm transfer, step 1 (R3.8, R3.10): the customer is put on hold and the agent calls a colleague
 * (an extension) or a number from the device they are on. Then `completeTransfer` hands the
 * customer over, or `cancelConsultation` ends the consultation and takes the customer off hold.
 * One consultation per call at a time.
 */
export async function consultCall(deps: CallControlDeps, viewer: Viewer, input: ConsultInput) {
  const visible = await requireVisibleCall(deps.prisma, viewer, input.callId);
  const destination = parseTransferDestination(input, await channelRegionOf(deps.prisma, visible.channelId));
  if (await deps.prisma.consultation.findUnique({ where: { callId: visible.id } }))
    throw notAllowed("A consultation is already under way on this call");
  const consultation = await withAgentSession(deps, viewer.id, async (control) => {
    const { party, ref } = await ownConnectedLeg(deps, viewer, input.callId, control);
    if (party.statusCode === "Answered") await control.hold(ref);
    try {
      return await control.consult(ref, destination);
    } catch (error) {
      // The colleague could not be called: the customer is not left on hold for nothing.
      if (party.statusCode === "Answered") await control.unhold(ref).catch(() => {});
      throw error;
    }
  });
  await deps.prisma.consultation.create({ data: { callId: visible.id, userId: viewer.id, ...consultation } });
  return visible;
}

/** The viewer's consultation on the call, or CONFLICT when there is none. */
async function consultationOf(prisma: PrismaClient, viewer: Viewer, callId: string): Promise<PartyRef> {
  const consultation = await prisma.consultation.findUnique({ where: { callId } });
  if (!consultation || consultation.userId !== viewer.id)
    throw notAllowed("You have no consultation under way on this call: start one with consultCall");
  return { telephonySessionId: consultation.telephonySessionId, partyId: consultation.partyId };
}

/**
 * Warm transfer, step 2: the customer and the colleague are connected and the agent leaves both
 * calls. RingCentral reports it as an attended transfer, which threads the consultation into the
 * customer's conversation and assigns it to the colleague.
 */
export async function completeTransfer(deps: CallControlDeps, viewer: Viewer, callId: string) {
  const visible = await requireVisibleCall(deps.prisma, viewer, callId);
  const consultation = await consultationOf(deps.prisma, viewer, visible.id);
  await withAgentSession(deps, viewer.id, async (control) => {
    const { ref } = await ownConnectedLeg(deps, viewer, callId, control);
    await control.bridge(ref, consultation);
  });
  await deps.prisma.consultation.delete({ where: { callId: visible.id } });
  return visible;
}

/** Warm transfer, cancelled: the consultation call ends (if the colleague has not hung up already)
 * and the customer is taken off hold, back with the agent. */
export async function cancelConsultation(deps: CallControlDeps, viewer: Viewer, callId: string) {
  const visible = await requireVisibleCall(deps.prisma, viewer, callId);
  const consultation = await consultationOf(deps.prisma, viewer, visible.id);
  await withAgentSession(deps, viewer.id, async (control) => {
    const { party, ref } = await ownConnectedLeg(deps, viewer, callId, control);
    await control.hangUp(consultation).catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error; // already over at RingCentral
    });
    if (party.statusCode === "Hold") await control.unhold(ref);
  });
  await deps.prisma.consultation.delete({ where: { callId: visible.id } });
  return visible;
}

export interface PlaceCallInput {
  channelId: string;
  toPhoneNumber?: string | null;
  contactId?: string | null;
}

export interface PlacedCall {
  channel: Channel;
  toNumber: string;
  ringOutId: string | null;
}

function requireVoiceChannel(prisma: PrismaClient, viewer: Viewer, channelId: string): Promise<Channel> {
  return requireUsableChannel(prisma, viewer, channelId, "VOICE", "Calls are placed from a VOICE channel");
}

/**
 * R3.9: the viewer calls a phone number or a contact from a connected company number (a VOICE
 * channel of an inbox they belong to), never from their own extension's number: RingCentral rings
 * the agent first and shows the channel's number to the customer. The conversation is created by
 * the worker when RingCentral reports the call, in the channel's inbox, assigned to the agent.
 */
export async function placeCall(deps: CallControlDeps, viewer: Viewer, input: PlaceCallInput): Promise<PlacedCall> {
  const to = input.toPhoneNumber?.trim();
  if (to && input.contactId)
    throw new InvalidInputError("Give either a phone number or a contact, not both", "toPhoneNumber");
  if (!to && !input.contactId)
    throw new InvalidInputError("Whom to call is required: a phone number or a contact", "toPhoneNumber");
  const channel = await requireVoiceChannel(deps.prisma, viewer, input.channelId);
  let toNumber: string;
  if (to) {
    toNumber = requireE164(to, "toPhoneNumber", regionOf(channel.phoneNumber));
  } else {
    const contact = await deps.prisma.contact.findFirst({
      where: { AND: [{ id: input.contactId! }, visibleContacts(viewer)] },
      include: { phones: { orderBy: { createdAt: "asc" } } },
    });
    if (!contact) throw new NotFoundError("Contact");
    const phone = contact.phones[0];
    if (!phone) throw new InvalidInputError("This contact has no phone number", "contactId");
    toNumber = phone.e164;
  }
  if (toNumber === channel.phoneNumber)
    throw new InvalidInputError("A channel cannot call its own number", "toPhoneNumber");
  const { ringOutId } = await withAgentSession(deps, viewer.id, (control) =>
    control.ringOut({ callerId: channel.phoneNumber, to: toNumber }),
  );
  return { channel, toNumber, ringOutId };
}
