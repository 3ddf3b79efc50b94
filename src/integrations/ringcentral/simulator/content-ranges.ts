// Byte ranges of message-store content (MMS media, voicemail audio), which RingCentral serves to
// one `Range: bytes=…` with 206 and Content-Range, and answers 416 when it cannot be satisfied.
// (Call recordings' content documents no Range: the simulator serves those whole.)
import { contentRange, requestedRange, resolveRange, unsatisfiedContentRange } from "../../../byte-ranges.ts";
import { apiError, type SimRequest, type SimResponse } from "./core.ts";

export function rangedContent(req: SimRequest, content: Buffer, headers: Record<string, string>): SimResponse {
  const range = req.headers.range;
  const asked = requestedRange(Array.isArray(range) ? range[0] : range);
  const always = { ...headers, "Accept-Ranges": "bytes" };
  if (asked === null) return { status: 200, body: content, headers: always };
  const bytes = asked === "unsatisfiable" ? null : resolveRange(asked, content.length);
  if (!bytes) {
    return apiError(416, "CMN-416", "Requested range not satisfiable", undefined, {
      ...always,
      "Content-Range": unsatisfiedContentRange(content.length),
    });
  }
  return {
    status: 206,
    body: content.subarray(bytes.start, bytes.end + 1),
    headers: { ...always, "Content-Range": contentRange(bytes) },
  };
}
