// Channels (R2.3): one RingCentral number with one type (VOICE or SMS) routed to one inbox. The same
// number can be connected once per type. SMS channels carry the close-conversations setting (R4.2).
// Disconnecting keeps the row (its conversations keep pointing at it); connecting the same number
// and type again brings it back.
import type { Channel, ChannelType, PrismaClient } from "../generated/prisma/client.ts";
import type { PubSub } from "../pubsub.ts";
import type { Deps } from "./event-log.ts";
import { visibleChannels, type Viewer } from "./access.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import { savedDirectory, type NumberInfo, type RingCentralDeps } from "./connections.ts";
import { toE164 } from "./phone-numbers.ts";
import { isUniqueViolation } from "../store/unique-violations.ts";

/**
 * A connected channel of `type` the viewer may use: missing and invisible look the same (R1.2);
 * `wrongType` tells the viewer why a channel of the other type will not do.
 */
export async function requireUsableChannel(
  prisma: PrismaClient,
  viewer: Viewer,
  channelId: string,
  type: ChannelType,
  wrongType: string,
): Promise<Channel> {
  const channel = await prisma.channel.findFirst({ where: { AND: [{ id: channelId }, visibleChannels(viewer)] } });
  if (!channel) throw new NotFoundError("Channel");
  if (channel.type !== type) throw new InvalidInputError(wrongType, "channelId");
  if (channel.disconnectedAt) throw new InvalidInputError("This channel is disconnected", "channelId");
  return channel;
}

/** Longest close-after period accepted: 90 days. */
export const MAX_CLOSE_AFTER_SECONDS = 90 * 24 * 3600;

export interface ConnectChannelInput {
  /** RingCentral's phone-number id, or the number itself (E.164 or national). */
  number: string;
  type: ChannelType;
  inboxId: string;
  /** SMS only: archive conversations after this much inactivity; null/undefined = never. */
  closeAfterSeconds?: number | null;
}

function requireCloseAfter(type: ChannelType, closeAfterSeconds: number | null | undefined): number | null {
  if (closeAfterSeconds == null) return null;
  if (type !== "SMS")
    throw new InvalidInputError("Only SMS channels close conversations after inactivity", "closeAfterSeconds");
  if (!Number.isInteger(closeAfterSeconds) || closeAfterSeconds < 60 || closeAfterSeconds > MAX_CLOSE_AFTER_SECONDS) {
    throw new InvalidInputError(
      `closeAfterSeconds must be a whole number from 60 to ${MAX_CLOSE_AFTER_SECONDS}`,
      "closeAfterSeconds",
    );
  }
  return closeAfterSeconds;
}

/** Finds `number` among the account's numbers: by RingCentral id first, then by E.164. */
export function findAccountNumber(numbers: NumberInfo[], number: string): NumberInfo | undefined {
  const wanted = number.trim();
  const byId = numbers.find((n) => n.id === wanted);
  if (byId) return byId;
  const e164 = toE164(wanted);
  return e164 ? numbers.find((n) => n.phoneNumber === e164) : undefined;
}

async function requireInbox(prisma: PrismaClient, inboxId: string) {
  const inbox = await prisma.inbox.findUnique({ where: { id: inboxId }, select: { id: true } });
  if (!inbox) throw new NotFoundError("Inbox");
}

/**
 * Tells the RingCentral workers, in whichever process they run, that the numbers a connection
 * subscribes for changed: they reconcile at once instead of at their next timer tick.
 */
function announceChannelsChanged(pubsub: PubSub, connectionId: string | null): void {
  pubsub.publish("channels", "*", { connectionId });
}

/**
 * Calls `changed` on every announcement about a connection of this database, until the function
 * it resolves with is called. Resolves once listening, so no announcement made afterwards is
 * missed. Deployments sharing one Redis (staging beside production, test runs) hear each other's
 * announcements: those about connections not stored here are ignored.
 */
export async function onChannelsChanged({ prisma, pubsub }: Deps, changed: () => void): Promise<() => void> {
  const subscription = await pubsub.subscribe("channels", "*");
  const ours = async (connectionId: string | null) =>
    !connectionId || (await prisma.ringCentralConnection.count({ where: { id: connectionId } })) > 0;
  void (async () => {
    for await (const { connectionId } of subscription) {
      if (await ours(connectionId).catch(() => true)) changed();
    }
  })();
  return () => subscription.close();
}

/** R2.3: connects a number of the account as a VOICE or SMS channel, using the saved credentials. */
export async function connectChannel(deps: RingCentralDeps & Pick<Deps, "pubsub">, input: ConnectChannelInput) {
  const channel = await saveConnectedChannel(deps, input);
  announceChannelsChanged(deps.pubsub, channel.connectionId);
  return channel;
}

async function saveConnectedChannel(deps: RingCentralDeps, input: ConnectChannelInput) {
  const closeAfterSeconds = requireCloseAfter(input.type, input.closeAfterSeconds);
  await requireInbox(deps.prisma, input.inboxId);
  const { connection, directory } = await savedDirectory(deps);
  // Asked of RingCentral each time: numbers move between accounts and lose features.
  const number = findAccountNumber(await directory.phoneNumbers(), input.number);
  if (!number)
    throw new InvalidInputError(
      `${input.number} is not a phone number of RingCentral account ${connection.accountId}`,
      "number",
    );
  if (input.type === "SMS" && !number.canSendSms) {
    throw new InvalidInputError(
      `${number.phoneNumber} cannot send SMS in RingCentral, so it cannot be an SMS channel`,
      "type",
    );
  }
  const fields = {
    inboxId: input.inboxId,
    closeAfterSeconds,
    label: number.label,
    ringCentralNumberId: number.id,
    ringCentralExtensionId: number.extensionId ?? null,
    connectionId: connection.id,
  };
  const existing = await deps.prisma.channel.findUnique({
    where: { phoneNumber_type: { phoneNumber: number.phoneNumber, type: input.type } },
  });
  if (existing && !existing.disconnectedAt) throw alreadyConnected(number.phoneNumber, input.type);
  if (existing) {
    // Reconnecting: only if it is still disconnected (a concurrent reconnect wins once).
    const { count } = await deps.prisma.channel.updateMany({
      where: { id: existing.id, disconnectedAt: { not: null } },
      data: { ...fields, disconnectedAt: null },
    });
    if (count === 0) throw alreadyConnected(number.phoneNumber, input.type);
    return deps.prisma.channel.findUniqueOrThrow({ where: { id: existing.id } });
  }
  try {
    return await deps.prisma.channel.create({ data: { ...fields, phoneNumber: number.phoneNumber, type: input.type } });
  } catch (error) {
    if (isUniqueViolation(error)) throw alreadyConnected(number.phoneNumber, input.type);
    throw error;
  }
}

function alreadyConnected(phoneNumber: string, type: ChannelType): ConflictError {
  return new ConflictError(`${phoneNumber} is already connected as a ${type} channel`, "number");
}

async function requireConnectedChannel(prisma: PrismaClient, channelId: string) {
  const channel = await prisma.channel.findUnique({ where: { id: channelId } });
  if (!channel || channel.disconnectedAt) throw new NotFoundError("Channel");
  return channel;
}

/** Routes a channel's future calls and messages to another inbox. */
export async function moveChannel(prisma: PrismaClient, channelId: string, inboxId: string) {
  await requireConnectedChannel(prisma, channelId);
  await requireInbox(prisma, inboxId);
  return prisma.channel.update({ where: { id: channelId }, data: { inboxId } });
}

/** Stops routing the number; the channel and its conversations stay. Idempotent. */
export async function disconnectChannel({ prisma, pubsub }: Deps, channelId: string) {
  const channel = await prisma.channel.findUnique({ where: { id: channelId } });
  if (!channel) throw new NotFoundError("Channel");
  if (channel.disconnectedAt) return channel;
  const disconnected = await prisma.channel.update({ where: { id: channelId }, data: { disconnectedAt: new Date() } });
  announceChannelsChanged(pubsub, disconnected.connectionId);
  return disconnected;
}

/** Changes an SMS channel's close-conversations setting (null = never). */
export async function updateChannel(
  prisma: PrismaClient,
  channelId: string,
  input: { closeAfterSeconds: number | null },
) {
  const channel = await requireConnectedChannel(prisma, channelId);
  const closeAfterSeconds = requireCloseAfter(channel.type, input.closeAfterSeconds);
  return prisma.channel.update({ where: { id: channelId }, data: { closeAfterSeconds } });
}
