// Issue 13, point 8: requests that break the protocol get the protocol's answer, not an internal
// error or a reset connection — messages only a server may send over graphql-ws (4400), other
// methods on the webhook endpoint (405 after reading the body), bodies over MAX_REQUEST_BODY_BYTES
// (413, nothing executed), malformed `variables` in a GET (400, no error log), and parse errors or
// invalid JSON with `Accept: application/graphql-response+json` (400). Through real HTTP and
// WebSocket against a started server.
import net from "node:net";
import { once } from "node:events";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { GraphQLFormattedError } from "graphql";
import { createLogger } from "../src/logger.ts";
import { WEBHOOK_PATH } from "../src/integrations/ringcentral/webhooks.ts";
import { startTestApi, type TestApi } from "./support/api.ts";

const GRAPHQL_RESPONSE = "application/graphql-response+json";

/** Log lines at any level, parsed, kept while a test runs. */
const logLines: { level: number; msg?: string; err?: unknown }[] = [];
const logger = createLogger(
  "trace",
  new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  }),
);

type Body = { data?: unknown; errors?: GraphQLFormattedError[] };

/**
 * Sends one HTTP/1.1 request as clients that write their whole body before reading (Python's
 * urllib, many load tools) do, with `Connection: close`, over a plain socket; returns what came
 * back and the socket error, if any (a server that closes before reading the body resets it).
 */
async function sendWholeRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string>; body: string; socketError?: string }> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await once(socket, "connect");
  const received: Buffer[] = [];
  let socketError: string | undefined;
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  socket.on("error", (error: NodeJS.ErrnoException) => (socketError ??= error.code ?? error.message));
  // Not `once(socket, "close")`: it would reject on the socket error this reports.
  const closed = new Promise((resolve) => socket.once("close", resolve));
  const head = Object.entries({ host: `${hostname}:${port}`, connection: "close", ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.write(`${method} ${path} HTTP/1.1\r\n${head}content-length: ${body.length}\r\n\r\n`);
  socket.write(body);
  await closed;
  const text = Buffer.concat(received).toString("utf8");
  const [headText = "", ...rest] = text.split("\r\n\r\n");
  const [statusLine = "", ...headerLines] = headText.split("\r\n");
  return {
    status: Number(statusLine.split(" ")[1] ?? 0),
    headers: Object.fromEntries(
      headerLines.map((line) => [
        line.slice(0, line.indexOf(":")).toLowerCase(),
        line.slice(line.indexOf(":") + 1).trim(),
      ]),
    ),
    body: rest.join("\r\n\r\n"),
    ...(socketError ? { socketError } : {}),
  };
}

let api: TestApi;
let token: string;

beforeAll(async () => {
  api = await startTestApi({ logger });
  token = (await api.createUser("ADMIN", "auditor")).token;
});
afterAll(() => api?.close());
afterEach(() => {
  logLines.length = 0;
});

/** A graphql-ws socket that has been acknowledged. */
async function acknowledgedSocket(): Promise<WebSocket> {
  const socket = new WebSocket(`${api.url.replace("http", "ws")}/graphql`, "graphql-transport-ws");
  await once(socket, "open");
  socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
  const [ack] = await once(socket, "message");
  expect(JSON.parse(String(ack))).toEqual({ type: "connection_ack" });
  return socket;
}

async function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await once(socket, "close")) as [number, Buffer];
  return { code, reason: String(reason) };
}

describe("graphql-ws: messages only a server sends", () => {
  const serverMessages = [
    { type: "connection_ack" },
    { type: "connection_ack", payload: { hello: "server" } },
    { id: "1", type: "next", payload: { data: { viewer: null } } },
    { id: "1", type: "error", payload: [{ message: "from the client" }] },
  ];

  for (const message of serverMessages) {
    it(`closes the socket with 4400 (bad request) when a client sends ${JSON.stringify(message)}`, async () => {
      const consoleError = vi.spyOn(console, "error");
      try {
        const socket = await acknowledgedSocket();
        socket.send(JSON.stringify(message));
        expect(await closeOf(socket)).toEqual({ code: 4400, reason: "Invalid message received" });
        // A client's mistake: no "internal error" with a stack on the server's stderr or in its log.
        expect(consoleError).not.toHaveBeenCalled();
        expect(logLines.filter((line) => line.level >= 40)).toEqual([]);
      } finally {
        consoleError.mockRestore();
      }
    });
  }

  it("closes with 4400 when connection_ack comes before connection_init too", async () => {
    const socket = new WebSocket(`${api.url.replace("http", "ws")}/graphql`, "graphql-transport-ws");
    await once(socket, "open");
    socket.send(JSON.stringify({ type: "connection_ack" }));
    expect(await closeOf(socket)).toEqual({ code: 4400, reason: "Invalid message received" });
  });

  it("keeps serving other sockets, and ordinary operations still work", async () => {
    const socket = await acknowledgedSocket();
    socket.send(JSON.stringify({ id: "q", type: "subscribe", payload: { query: "{ viewer { name } }" } }));
    const [next] = await once(socket, "message");
    expect(JSON.parse(String(next))).toEqual({
      id: "q",
      type: "next",
      payload: { data: { viewer: { name: "auditor" } } },
    });
    socket.close(1000);
    await closeOf(socket);
  });
});

describe("the webhook endpoint with other methods", () => {
  for (const method of ["PUT", "PATCH", "DELETE"]) {
    it(`answers ${method} with a body 405 and Allow: POST, after reading the body (no reset)`, async () => {
      const response = await sendWholeRequest(
        api.url,
        method,
        WEBHOOK_PATH,
        { "content-type": "application/json" },
        Buffer.alloc(4_000_000, "x"),
      );
      expect(response).toMatchObject({ status: 405, headers: { allow: "POST" } });
      expect(response.socketError).toBeUndefined();
    });
  }

  it("answers GET 405 with Allow: POST", async () => {
    const response = await fetch(`${api.url}${WEBHOOK_PATH}`);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("answers an oversized POST 413 after reading the body (no reset)", async () => {
    const response = await sendWholeRequest(
      api.url,
      "POST",
      WEBHOOK_PATH,
      { "content-type": "application/json" },
      Buffer.alloc(4_000_000, "x"),
    );
    expect(response.status).toBe(413);
    expect(response.socketError).toBeUndefined();
  });
});

describe("GET with malformed variables or extensions", () => {
  for (const parameter of ["variables", "extensions"]) {
    it(`answers a malformed ${parameter} with 400 and a coded error, and logs no error or stack`, async () => {
      const response = await fetch(`${api.url}/graphql?query={__typename}&${parameter}={bad`, {
        headers: { authorization: `Bearer ${token}`, accept: GRAPHQL_RESPONSE },
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as Body;
      expect(body.data).toBeUndefined();
      expect(body.errors).toEqual([
        {
          message: expect.stringMatching(new RegExp(`^The "${parameter}" parameter is not valid JSON`)),
          extensions: { code: "BAD_REQUEST" },
        },
      ]);
      expect(logLines.filter((line) => line.level >= 40)).toEqual([]);
      expect(JSON.stringify(logLines)).not.toMatch(/stack|\\n\s+at /);
    });
  }

  it("still answers well-formed GET variables", async () => {
    const variables = encodeURIComponent(JSON.stringify({ full: true }));
    const query = encodeURIComponent("query($full: Boolean!) { viewer { name @include(if: $full) } }");
    const response = await fetch(`${api.url}/graphql?query=${query}&variables=${variables}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { viewer: { name: "auditor" } } });
  });
});

describe("status codes with Accept: application/graphql-response+json", () => {
  async function post(body: string, accept = GRAPHQL_RESPONSE) {
    const response = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept, authorization: `Bearer ${token}` },
      body,
    });
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      body: (await response.json()) as Body,
    };
  }

  it("answers a document that does not parse with 400 and no data", async () => {
    const { status, type, body } = await post(JSON.stringify({ query: "{ viewer {" }));
    expect(status).toBe(400);
    expect(type).toMatch(/^application\/graphql-response\+json/);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
  });

  it("answers a body that is not JSON with 400", async () => {
    const { status, type, body } = await post("{not json");
    expect(status).toBe(400);
    expect(type).toMatch(/^application\/graphql-response\+json/);
    expect(body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
  });

  it("answers a document that fails validation with 400", async () => {
    const { status, body } = await post(JSON.stringify({ query: "{ viewer { nickname } }" }));
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("keeps 200 for the same errors with Accept: application/json (the spec's legacy media type)", async () => {
    for (const query of ["{ viewer {", "{ viewer { nickname } }"]) {
      const { status, type } = await post(JSON.stringify({ query }), "application/json");
      expect(status).toBe(200);
      expect(type).toMatch(/^application\/json/);
    }
  });
});

describe("request body limit (MAX_REQUEST_BODY_BYTES)", () => {
  const tagNamed = (name: string) => `mutation { createTag(name: "${name}") { __typename } }`;
  const tagCount = (name: string) => api.app.db.prisma.tag.count({ where: { name } });

  it("refuses 5 MB of variables with 413 by default, executing nothing", async () => {
    const response = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: GRAPHQL_RESPONSE, authorization: `Bearer ${token}` },
      body: JSON.stringify({
        // An extra variable the operation does not declare is ignored, so this would run as is.
        query: `mutation($name: String!) { createTag(name: $name) { __typename } }`,
        variables: { name: "five-megabytes", padding: "x".repeat(5_000_000) },
      }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as Body).errors).toEqual([
      { message: expect.stringMatching(/too large/i), extensions: { code: "REQUEST_ENTITY_TOO_LARGE" } },
    ]);
    expect(await tagCount("five-megabytes")).toBe(0);
  });

  describe("configured", () => {
    let limited: TestApi;
    let limitedToken: string;
    beforeAll(async () => {
      limited = await startTestApi({ env: { MAX_REQUEST_BODY_BYTES: "20000" } });
      limitedToken = (await limited.createUser("ADMIN")).token;
    });
    afterAll(() => limited?.close());
    const count = (name: string) => limited.app.db.prisma.tag.count({ where: { name } });
    /** A createTag request padded to about `size` bytes with an extension the server ignores. */
    const padded = (name: string, size: number) => {
      const body = { query: tagNamed(name), extensions: { padding: "" } };
      body.extensions.padding = "x".repeat(size - JSON.stringify(body).length);
      return JSON.stringify(body);
    };

    it("executes a body just under the limit", async () => {
      const response = await fetch(`${limited.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${limitedToken}` },
        body: padded("under", 19_990),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { createTag: { __typename: "TagPayload" } } });
      expect(await count("under")).toBe(1);
    });

    it("refuses a body over the limit with 413 without executing it, and the client gets the answer", async () => {
      const response = await sendWholeRequest(
        limited.url,
        "POST",
        "/graphql",
        { "content-type": "application/json", authorization: `Bearer ${limitedToken}` },
        Buffer.from(padded("over", 3_000_000)),
      );
      expect(response.status).toBe(413);
      expect(response.socketError).toBeUndefined();
      expect(await count("over")).toBe(0);
    });

    it("refuses a chunked body (no Content-Length) once it passes the limit", async () => {
      const bytes = new TextEncoder().encode(padded("chunked", 100_000));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 8192)
            controller.enqueue(bytes.slice(offset, offset + 8192));
          controller.close();
        },
      });
      const response = await fetch(`${limited.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${limitedToken}` },
        body: stream,
        duplex: "half",
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(await count("chunked")).toBe(0);
    });

    it("closes a graphql-ws socket whose message is over the limit with 1009 (message too big)", async () => {
      const socket = new WebSocket(`${limited.url.replace("http", "ws")}/graphql`, "graphql-transport-ws");
      await once(socket, "open");
      socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${limitedToken}` } }));
      await once(socket, "message");
      socket.send(
        JSON.stringify({
          id: "big",
          type: "subscribe",
          payload: { query: tagNamed("websocket"), extensions: { padding: "x".repeat(30_000) } },
        }),
      );
      expect((await closeOf(socket)).code).toBe(1009);
      expect(await count("websocket")).toBe(0);
    });
  });
});
