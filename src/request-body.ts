// Reading request bodies we answer without using. Node closes a `Connection: close` socket right
// after the answer: bytes of the body still on their way then reset the connection, and a client
// that writes its whole body before reading (Python's urllib, load tools) gets ECONNRESET or EPIPE
// instead of the answer. Reading the body to its end first lets the answer through.
import type http from "node:http";
import { finished } from "node:stream/promises";

/** Resolves once the request body has been received (and thrown away), or the client went away. */
export async function discardBody(req: http.IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  await finished(req.resume()).catch(() => {});
}

/** The body when it has at most `maxBytes`, else null; read to its end either way. */
export async function readBodyUpTo(req: http.IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  return size > maxBytes ? null : Buffer.concat(chunks);
}
