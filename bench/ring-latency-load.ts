// Load generator for bench/ring-latency.ts, in its own process. It hosts the RingCentral simulator
// (RingCentral is outside Switchboard) and the agents' clients, so the emit time and the receive
// time are read from one clock: an inbound call's two party notifications (the caller's leg, then
// the agent's leg ringing) are published by the simulator to its WebSocket subscribers — the
// worker — and the latency is the time until the rung agent's graphql-ws client has `incomingCall`.
// The baseline relays the same payload over a bare WebSocket into Redis and back out to the agent.
import WebSocket from "ws";
import { createClient, type Client } from "graphql-ws";
import { startSimulator, type Simulator } from "../src/integrations/ringcentral/simulator/index.ts";
import { serveLoad, settleMs, sleep } from "./harness.ts";

const MAIN_NUMBER = "+18003151571";
const INCOMING_CALL = "subscription { incomingCall { cursor callerNumber call { id status } conversation { id } } }";

let sim: Simulator | null = null;
let accountId = "";

interface Agent {
  token?: string;
  /** The simulator extension that rings this agent (null: an idle, connected agent). */
  extensionId: string | null;
}

/** A connected population: Switchboard's graphql-ws clients, or the relay's bare sockets. */
interface Population {
  /** Resolves with the receive time of the next ring for `callerNumber`. */
  expect(callerNumber: string): Promise<number>;
  close(): Promise<void>;
}

let population: Population | null = null;
let emitter: WebSocket | null = null;
let relayUrl = "";

function waiters() {
  const pending = new Map<string, (t: number) => void>();
  const early = new Map<string, number>();
  return {
    expect(callerNumber: string): Promise<number> {
      const t = early.get(callerNumber);
      if (t !== undefined) {
        early.delete(callerNumber);
        return Promise.resolve(t);
      }
      return new Promise((resolve) => pending.set(callerNumber, resolve));
    },
    arrived(callerNumber: string, t: number) {
      const resolve = pending.get(callerNumber);
      if (resolve) {
        pending.delete(callerNumber);
        resolve(t);
      } else early.set(callerNumber, t);
    },
  };
}

async function connectSwitchboard(wsUrl: string, agents: Agent[]): Promise<Population> {
  const w = waiters();
  const clients: Client[] = [];
  const connected: Promise<void>[] = [];
  let errors = 0;
  for (const agent of agents) {
    let onConnected!: () => void;
    connected.push(new Promise((resolve) => (onConnected = resolve)));
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${agent.token}` },
      retryAttempts: 0,
      lazy: false,
      on: { connected: () => onConnected() },
    });
    clients.push(client);
    client.subscribe<{ incomingCall: { callerNumber: string } }>(
      { query: INCOMING_CALL },
      {
        next: (result) => {
          const number = result.data?.incomingCall.callerNumber;
          if (number) w.arrived(number, performance.now());
          else errors += 1;
        },
        error: () => (errors += 1),
        complete: () => {},
      },
    );
    // Connect in small batches: a burst of thousands of handshakes is not what is measured.
    if (clients.length % 100 === 0) await Promise.all(connected.slice(-100));
  }
  await Promise.all(connected);
  // graphql-ws does not acknowledge a subscribe: give the server time to set the subscriptions up.
  await sleep(settleMs(Math.min(5000, 500 + agents.length * 2)));
  return {
    expect: w.expect,
    close: async () => {
      await Promise.all(clients.map((c) => c.dispose()));
      if (errors > 0) console.error(`ring-latency: ${errors} subscription errors`);
    },
  };
}

async function connectRelay(url: string, agents: Agent[]): Promise<Population> {
  const w = waiters();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < agents.length; i++) {
    const socket = new WebSocket(`${url}?agent=${i}`);
    socket.on("message", (data) => {
      const t = performance.now();
      // The relay forwards what the emitter sent: the call's party notifications.
      const message = JSON.parse(String(data)) as {
        notifications: { body: { parties: { from: { phoneNumber: string } }[] } }[];
      };
      w.arrived(message.notifications.at(-1)!.body.parties[0]!.from.phoneNumber, t);
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
  }
  await sleep(settleMs(500));
  return {
    expect: w.expect,
    close: async () => {
      for (const socket of sockets) socket.close();
      await sleep(100);
    },
  };
}

function partyNotifications(
  n: number,
  extensionId: string,
  callerNumber: string,
  code: "Setup" | "Proceeding" | "Disconnected",
  sequence: number,
) {
  const telephonySessionId = `s-bench-${process.pid}-${n}`;
  const common = {
    sessionId: `9${n}`,
    telephonySessionId,
    serverId: "10.13.22.27.TAM",
    eventTime: new Date().toISOString(),
    origin: { type: "Call" },
  };
  const caller = {
    accountId,
    id: `p-bench-${process.pid}-${n}-1`,
    direction: "Outbound",
    to: { phoneNumber: MAIN_NUMBER },
    from: { phoneNumber: callerNumber },
    status: { code: code === "Proceeding" ? "Answered" : code, rcc: false },
    park: {},
    missedCall: false,
    standAlone: false,
    muted: false,
  };
  const agent = {
    accountId,
    extensionId,
    id: `p-bench-${process.pid}-${n}-2`,
    direction: "Inbound",
    to: { phoneNumber: MAIN_NUMBER, extensionId },
    from: { phoneNumber: callerNumber, name: "WIRELESS CALLER" },
    status: { code, rcc: false },
    park: {},
    missedCall: false,
    standAlone: false,
    muted: false,
  };
  return [
    {
      event: `/restapi/v1.0/account/${accountId}/telephony/sessions`,
      body: { ...common, sequence, parties: [caller] },
    },
    {
      event: `/restapi/v1.0/account/${accountId}/extension/${extensionId}/telephony/sessions`,
      body: { ...common, sequence: sequence + 1, parties: [agent] },
    },
  ];
}

let callCounter = 0;

serveLoad({
  /** Starts the simulator (generous rate limits: the worker's REST calls are not what is measured). */
  async startSimulator() {
    const generous = { limit: 100_000, windowSeconds: 60, penaltySeconds: 1 };
    sim = await startSimulator({
      port: 0,
      rateLimits: { Light: generous, Medium: generous, Heavy: generous, Auth: generous },
    });
    const account = sim.account() as unknown as { id: string };
    accountId = String(account.id);
    return { url: sim.url, credentials: sim.credentials(), accountId };
  },
  /** Adds `count` user extensions; returns their ids and emails. */
  async addExtensions({ count }: { count: number }) {
    const added: { id: string; email: string }[] = [];
    for (let i = 0; i < count; i++) {
      const email = `bench-agent-${i}@switchboard.test`;
      const response = await fetch(`${sim!.url}/__sim/extensions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: `Bench Agent ${i}`, email }),
      });
      if (!response.ok) throw new Error(`add extension: ${response.status} ${await response.text()}`);
      const extension = (await response.json()) as { id: string };
      added.push({ id: String(extension.id), email });
    }
    return added;
  },
  async connect({ target, url, agents }: { target: "switchboard" | "relay"; url: string; agents: Agent[] }) {
    await population?.close();
    population = target === "switchboard" ? await connectSwitchboard(url, agents) : await connectRelay(url, agents);
    if (target === "relay") {
      relayUrl = url;
      emitter = new WebSocket(`${relayUrl}?emitter=1`);
      await new Promise<void>((resolve, reject) => {
        emitter!.once("open", () => resolve());
        emitter!.once("error", reject);
      });
    }
    return { connected: agents.length };
  },
  async disconnect() {
    await population?.close();
    population = null;
    emitter?.close();
    emitter = null;
  },
  /**
   * Rings `calls` calls at `rate` per second, round-robin over the agents with an extension; returns
   * each call's latency in ms (emit → the agent's client has it) and how many never arrived.
   */
  async ring({
    target,
    calls,
    rate,
    agents,
    timeoutMs = 10_000,
  }: {
    target: "switchboard" | "relay";
    calls: number;
    rate: number;
    agents: Agent[];
    timeoutMs?: number;
  }) {
    const rung = agents.map((a, index) => ({ ...a, index })).filter((a) => a.extensionId);
    if (rung.length === 0) throw new Error("no agent has an extension to ring");
    const latencies: number[] = [];
    let lost = 0;
    const inFlight: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < calls; i++) {
      // A steady rate: call i is emitted at start + i/rate, whatever the previous ones did.
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const n = ++callCounter;
      const agent = rung[i % rung.length]!;
      const callerNumber = `+1415${String(5000000 + (n % 5000000)).padStart(7, "0")}`;
      const ring = partyNotifications(n, agent.extensionId!, callerNumber, "Proceeding", 1);
      const arrived = population!.expect(callerNumber);
      const t0 = performance.now();
      if (target === "switchboard") for (const notification of ring) sim!.publish(notification);
      else emitter!.send(JSON.stringify({ agent: agent.index, notifications: ring }));
      inFlight.push(
        Promise.race([arrived.then((t) => t - t0), sleep(timeoutMs).then(() => null)]).then((latency) => {
          if (latency === null) lost += 1;
          else latencies.push(latency);
          // The caller hangs up once the agent has seen the ring (steady state: calls end too).
          if (target === "switchboard")
            for (const notification of partyNotifications(n, agent.extensionId!, callerNumber, "Disconnected", 3))
              sim!.publish(notification);
        }),
      );
    }
    const emitSeconds = (performance.now() - start) / 1000;
    await Promise.all(inFlight);
    return { latencies, lost, achievedRate: calls > 1 ? (calls - 1) / emitSeconds : rate };
  },
  async exit() {
    await population?.close();
    await sim?.close();
  },
});
