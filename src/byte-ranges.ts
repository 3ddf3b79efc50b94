// HTTP byte ranges (RFC 9110 §14): what a `Range` header asks for, and which bytes of a
// representation of known length that is. One range per request: a browser's <audio> or <video>
// asks for one at a time; a header asking for several gets the whole content, as the RFC allows.

/** `bytes=first-last`, `bytes=first-` or `bytes=-suffix`. */
export type ByteRange = { first: number; last: number | null } | { suffix: number };

/** The bytes a range covers in a representation, both ends included, and the whole length. */
export interface ResolvedRange {
  start: number;
  end: number;
  length: number;
}

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/i;

/**
 * The one byte range a `Range` header asks for. Null when it asks for none this server serves
 * (absent, another unit, several ranges, not well-formed): the whole content is the answer then.
 * "unsatisfiable" when its range can never be served (it ends before it starts, an empty suffix).
 */
export function requestedRange(header: string | undefined): ByteRange | "unsatisfiable" | null {
  const match = header ? SINGLE_RANGE.exec(header.trim()) : null;
  if (!match) return null;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === "" && last === "") return null;
  if (first === "") return Number(last) === 0 ? "unsatisfiable" : { suffix: Number(last) };
  const range = { first: Number(first), last: last === "" ? null : Number(last) };
  if (!Number.isSafeInteger(range.first) || (range.last !== null && !Number.isSafeInteger(range.last))) return null;
  return range.last !== null && range.last < range.first ? "unsatisfiable" : range;
}

/** The bytes `range` covers in a representation of `length` bytes; null when none (416). */
export function resolveRange(range: ByteRange, length: number): ResolvedRange | null {
  if (length <= 0) return null;
  if ("suffix" in range) return { start: Math.max(0, length - range.suffix), end: length - 1, length };
  if (range.first >= length) return null;
  return { start: range.first, end: Math.min(range.last ?? length - 1, length - 1), length };
}

/** `Content-Range` of a 206. */
export const contentRange = ({ start, end, length }: ResolvedRange) => `bytes ${start}-${end}/${length}`;

/** `Content-Range` of a 416: the whole length, so the client can ask again. */
export const unsatisfiedContentRange = (length: number) => `bytes */${length}`;

/** The `Range` header asking exactly for `range` (what is forwarded upstream). */
export function rangeHeader(range: ByteRange): string {
  if ("suffix" in range) return `bytes=-${range.suffix}`;
  return `bytes=${range.first}-${range.last ?? ""}`;
}

/** Bytes `start`…`end` (included) of a stream of chunks, read no further than needed. */
export async function* sliceOf(chunks: AsyncIterable<Uint8Array>, start: number, end: number) {
  let offset = 0;
  for await (const chunk of chunks) {
    const from = Math.max(0, start - offset);
    const to = Math.min(chunk.length, end + 1 - offset);
    if (to > from) yield chunk.subarray(from, to);
    offset += chunk.length;
    if (offset > end) return;
  }
}
