// Call recordings: metadata (`GET /account/{id}/recording/{recordingId}`) and downloadable audio
// content. The audio is a short generated tone; what matters to the app is that the content link
// is absolute, authenticated and returns real WAV bytes.

import { notFound, type RouteModule, type SimContext, type SimRequest, type SimResponse } from "./core.ts";
import { numericId, simulatorScoped } from "./scoped-state.ts";

export interface SimRecording {
  id: string;
  accountId: string;
  telephonySessionId: string;
  partyId: string;
  /** Automatic (account policy) or OnDemand (started through call control). */
  type: "Automatic" | "OnDemand";
  startedAt: Date;
  durationSeconds: number;
}

const recordingsState = simulatorScoped(() => new Map<string, SimRecording>());

export function startRecording(
  ctx: SimContext,
  spec: Omit<SimRecording, "id" | "startedAt" | "durationSeconds"> & { durationSeconds?: number },
): SimRecording {
  const recording: SimRecording = {
    id: numericId(),
    startedAt: ctx.now(),
    durationSeconds: spec.durationSeconds ?? 2,
    ...spec,
  };
  recordingsState.of(ctx).set(recording.id, recording);
  return recording;
}

export function findRecording(ctx: SimContext, recordingId: string): SimRecording | undefined {
  return recordingsState.of(ctx).get(recordingId);
}

export function recordingUri(ctx: SimContext, recording: SimRecording): string {
  return `${ctx.baseUrl()}/restapi/v1.0/account/${recording.accountId}/recording/${recording.id}`;
}

/** RingCentral serves content from a media host; the simulator serves it itself, absolute as well. */
export function recordingContentUri(ctx: SimContext, recording: SimRecording): string {
  return `${recordingUri(ctx, recording)}/content`;
}

/** The call log's `recording` object. */
export function callLogRecordingInfo(ctx: SimContext, recording: SimRecording) {
  return {
    id: recording.id,
    uri: recordingUri(ctx, recording),
    type: recording.type,
    contentUri: recordingContentUri(ctx, recording),
  };
}

/** A mono 8 kHz 16-bit PCM WAV holding a quiet 440 Hz tone. */
export function generateWav(seconds: number): Buffer {
  const sampleRate = 8000;
  const samples = Math.max(1, Math.round(seconds * sampleRate));
  const dataBytes = samples * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write("RIFF", 0, "ascii");
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write("WAVE", 8, "ascii");
  wav.write("fmt ", 12, "ascii");
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36, "ascii");
  wav.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples; i++) {
    wav.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)), 44 + i * 2);
  }
  return wav;
}

function recordingOfRequest(req: SimRequest, ctx: SimContext): SimRecording | undefined {
  const recording = findRecording(ctx, req.params.recordingId ?? "");
  if (!recording) return undefined;
  if (req.auth && recording.accountId !== req.auth.accountId) return undefined;
  return recording;
}

function getRecording(req: SimRequest, ctx: SimContext): SimResponse {
  const recording = recordingOfRequest(req, ctx);
  if (!recording) return notFound("callRecordingId");
  return {
    status: 200,
    json: {
      id: recording.id,
      contentUri: recordingContentUri(ctx, recording),
      contentType: "audio/x-wav",
      duration: recording.durationSeconds,
    },
  };
}

function getRecordingContent(req: SimRequest, ctx: SimContext): SimResponse {
  const recording = recordingOfRequest(req, ctx);
  if (!recording) return notFound("callRecordingId");
  return {
    status: 200,
    body: generateWav(recording.durationSeconds),
    headers: {
      "Content-Type": "audio/x-wav",
      "Content-Disposition": `attachment; filename="${recording.id}.wav"`,
    },
  };
}

export const recordingsModule: RouteModule = {
  name: "recordings",
  routes: [
    {
      method: "GET",
      path: "/restapi/v1.0/account/:accountId/recording/:recordingId",
      handler: getRecording,
      throttlingGroup: "Heavy",
    },
    {
      method: "GET",
      path: "/restapi/v1.0/account/:accountId/recording/:recordingId/content",
      handler: getRecordingContent,
      throttlingGroup: "Heavy",
    },
  ],
  reset(ctx) {
    recordingsState.reset(ctx);
  },
};
