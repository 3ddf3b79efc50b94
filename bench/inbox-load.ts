// The inbox-query load generator, in its own process: sends one GraphQL request at a time over
// HTTP (keep-alive) and reports each request's latency as JSON on stdout.
//   tsx bench/inbox-load.ts '<json {url, token, query, variables, requests, warmup}>'
import http from "node:http";

interface Job {
  url: string;
  token: string;
  query: string;
  variables?: Record<string, unknown>;
  requests: number;
  warmup: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const body = JSON.stringify({ query: job.query, variables: job.variables ?? {} });
const target = new URL(job.url);

function once(): Promise<{ ms: number; status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${job.token}`,
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

let first = "";
for (let i = 0; i < job.warmup; i++) first ||= (await once()).text;
const latencies: number[] = [];
for (let i = 0; i < job.requests; i++) {
  const r = await once();
  if (r.status !== 200 || r.text.includes('"errors"')) {
    console.log(JSON.stringify({ error: `HTTP ${r.status}: ${r.text.slice(0, 500)}` }));
    process.exit(1);
  }
  latencies.push(r.ms);
  first ||= r.text;
}
type Page = { conversations?: { edges: unknown[] } };
// An inbox's page (node(id:)) or the root conversations(filter:).
const data = (JSON.parse(first) as { data?: { node?: Page } & Page }).data;
const edges = (data?.node?.conversations ?? data?.conversations)?.edges.length ?? null;
console.log(JSON.stringify({ latencies, edges }));
agent.destroy();
