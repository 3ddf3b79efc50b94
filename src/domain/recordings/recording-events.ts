// What voicemail and call recordings share: the call read with its conversation's inboxes (every
// recording event is addressed to them) and the payload of RECORDING_ADDED / RECORDING_UPDATED.
import type { Prisma, RecordingKind, RecordingState } from "../../generated/prisma/client.ts";
import { conversationWithInboxes } from "../conversations.ts";
import type { EventPayloads } from "../events.ts";

export const callWithConversation = {
  conversation: { include: conversationWithInboxes },
} satisfies Prisma.CallInclude;
export type CallWithConversation = Prisma.CallGetPayload<{ include: typeof callWithConversation }>;

export function recordingPayload(
  recording: { id: string; kind: RecordingKind; state: RecordingState; callId: string | null },
  extra: { transcribed?: boolean; changed?: string[] } = {},
): EventPayloads["RECORDING_ADDED" | "RECORDING_UPDATED"] {
  const { id: recordingId, callId, kind, state } = recording;
  return { recordingId, callId, kind, state, ...extra };
}
