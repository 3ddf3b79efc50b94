import { recordingDownloadPath } from "../downloads.ts";
import { builder } from "./builder.ts";
import { visibleCalls, visibleRecordings } from "../domain/access.ts";
import { viewerOf } from "./viewer.ts";

export const CallDirectionEnum = builder.enumType("CallDirection", {
  description: "Seen from the company: INBOUND calls come from customers.",
  values: {
    INBOUND: { description: "A customer called in." },
    OUTBOUND: { description: "An agent called out." },
  } as const,
});

export const CallStatusEnum = builder.enumType("CallStatus", {
  description: "A call's state, derived from all its RingCentral parties.",
  values: {
    RINGING: { description: "Ringing an agent." },
    QUEUED: { description: "Waiting in a call queue (see `queuedAt`)." },
    IN_PROGRESS: { description: "Connected." },
    ON_HOLD: { description: "Connected, on hold." },
    ENDED: { description: "Answered and finished." },
    MISSED: { description: "Nobody answered." },
    ABANDONED: { description: "The caller hung up while waiting or ringing." },
    VOICEMAIL: { description: "Went to voicemail." },
  } as const,
});

export const CallRef = builder.prismaNode("Call", {
  select: { id: true }, // only the columns a query asks for (inbox pages: less to build, send and map)
  nullable: true,
  description: "A voice call (one RingCentral telephony session), with its legs and recordings.",
  id: { field: "id", description: "Global id." },
  findUnique: (id, ctx) => ({ id, AND: [visibleCalls(viewerOf(ctx))] }),
  fields: (t) => ({
    direction: t.expose("direction", { type: CallDirectionEnum, description: "INBOUND or OUTBOUND." }),
    status: t.expose("status", { type: CallStatusEnum, description: "Current state." }),
    fromNumber: t.exposeString("fromNumber", { nullable: true, description: "Caller number, E.164." }),
    toNumber: t.exposeString("toNumber", { nullable: true, description: "Dialed number, E.164." }),
    queuedAt: t.expose("queuedAt", {
      type: "DateTime",
      nullable: true,
      description: "When it started waiting in a queue.",
    }),
    answeredAt: t.expose("answeredAt", { type: "DateTime", nullable: true, description: "When an agent answered." }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true, description: "When it ended." }),
    talkSeconds: t.exposeInt("talkSeconds", { nullable: true, description: "Talk time once ended." }),
    answeredBy: t.relation("answeredBy", { nullable: true, description: "The user who answered, if a user here." }),
    conversation: t.relation("conversation", { description: "The conversation it belongs to." }),
    channel: t.relation("channel", { nullable: true, description: "The connected number involved." }),
    parties: t.relation("parties", {
      description: "RingCentral parties (legs).",
      query: { orderBy: { partyId: "asc" } },
    }),
    recordings: t.relation("recordings", {
      description: "Recordings and voicemail.",
      query: { orderBy: { createdAt: "asc" } },
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it started." }),
  }),
});

builder.prismaObject("CallParty", {
  description: "One party of a call as RingCentral last reported it.",
  fields: (t) => ({
    partyId: t.exposeString("partyId", { description: "RingCentral's party id." }),
    direction: t.expose("direction", { type: CallDirectionEnum, description: "Direction of this leg." }),
    status: t.exposeString("statusCode", {
      description: "RingCentral status code (Setup, Proceeding, Answered, Hold, Disconnected, Voicemail, …).",
    }),
    reason: t.exposeString("reason", { nullable: true, description: "RingCentral's reason, when given." }),
    extensionId: t.exposeString("extensionId", {
      nullable: true,
      description: "The RingCentral extension of this party.",
    }),
    fromNumber: t.exposeString("fromNumber", { nullable: true, description: "From number." }),
    toNumber: t.exposeString("toNumber", { nullable: true, description: "To number." }),
    muted: t.exposeBoolean("muted", { description: "Whether the party is muted." }),
    sequence: t.exposeInt("sequence", { description: "RingCentral's sequence of the snapshot applied." }),
  }),
});

export const RecordingKindEnum = builder.enumType("RecordingKind", {
  description: "A call recording or a voicemail.",
  values: { CALL: { description: "Call recording." }, VOICEMAIL: { description: "Voicemail message." } } as const,
});

export const RecordingStateEnum = builder.enumType("RecordingState", {
  description: "Whether the audio can be fetched.",
  values: {
    PENDING: { description: "RingCentral is still processing it." },
    AVAILABLE: { description: "Ready to stream." },
    UNAVAILABLE: { description: "RingCentral did not record (no licence, feature off, call too short)." },
  } as const,
});

export const RecordingRef = builder.prismaNode("Recording", {
  nullable: true,
  description: "Audio from RingCentral: a call recording or a voicemail (with its transcription).",
  id: { field: "id", description: "Global id." },
  findUnique: (id, ctx) => ({ id, AND: [visibleRecordings(viewerOf(ctx))] }),
  fields: (t) => ({
    kind: t.expose("kind", { type: RecordingKindEnum, description: "CALL or VOICEMAIL." }),
    state: t.expose("state", { type: RecordingStateEnum, description: "PENDING, AVAILABLE or UNAVAILABLE." }),
    durationSeconds: t.exposeInt("durationSeconds", { nullable: true, description: "Length of the audio." }),
    contentType: t.exposeString("contentType", { nullable: true, description: "MIME type of the audio." }),
    transcription: t.exposeString("transcription", {
      nullable: true,
      description: "RingCentral's transcription, for voicemail.",
    }),
    downloadUrl: t.string({
      nullable: true,
      description:
        "Path of the audio on this server (`/files/recordings/<id>`), fetched with the same bearer token as " +
        "the API; null unless AVAILABLE.",
      resolve: (recording) =>
        recording.state === "AVAILABLE" && recording.contentUri ? recordingDownloadPath(recording.id) : null,
    }),
    call: t.relation("call", { nullable: true, description: "The call recorded." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was imported." }),
  }),
});
