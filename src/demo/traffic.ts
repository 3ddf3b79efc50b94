// A steady, realistic stream of calls and texts, played through the simulator's control API (what
// customers and RingCentral do) and the agents' GraphQL (what agents do): a scripted round that
// covers the product — IVR and queue calls, holds, recordings, missed calls, voicemail, transfers,
// threaded texts, MMS, replies and a failed delivery — repeated with changing customers.
import type { Logger } from "../logger.ts";
import { DEMO_ACCOUNT, type DemoWorld } from "./demo-world.ts";
import { graphqlAs, TYPED_ERROR, type GraphqlCall } from "./graphql-client.ts";
import type { SimulatorControl } from "./simulator-control.ts";

const CUSTOMERS = [
  { number: "+14155550123", name: "Jane Cooper" },
  { number: "+16505550100", name: "Wade Warren" },
  { number: "+12125550175", name: "Esther Howard" },
  { number: "+13125550148", name: "Cameron Williamson" },
  { number: "+17185550199", name: "Leslie Alexander" },
];
/** Texts to this number end DeliveryFailed (the simulator's failingNumbers). */
const UNREACHABLE_NUMBER = "+14155550188";
const TEXTS = ["Hi, is my order ready?", "Are you open on Sunday? ☀️", "Can someone call me back?", "Thanks, all good!"];
/** A 1×1 PNG, the MMS picture. */
const PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
/** Calls move one step every this many ms: a ring lasts long enough to be seen. */
const CALL_STEP_MS = 1500;

const SEND_MESSAGE = `mutation($channel: ID!, $to: String!, $text: String!) {
  sendMessage(channelId: $channel, to: $to, text: $text) { __typename ${TYPED_ERROR} }
}`;

interface Play {
  name: string;
  run(customer: (typeof CUSTOMERS)[number]): Promise<unknown>;
}

function plays(world: DemoWorld, simulator: SimulatorControl, apiUrl: string): Play[] {
  const [alice, bob] = world.agents.map((agent) => graphqlAs(apiUrl, agent.token)) as [GraphqlCall, GraphqlCall];
  const { mainNumber, smsNumber, queueNumber } = DEMO_ACCOUNT;
  const call = (type: string, options: Record<string, unknown>) => (customer: (typeof CUSTOMERS)[number]) =>
    simulator("POST", "scenarios", {
      type,
      from: customer.number,
      callerName: customer.name,
      stepDelayMs: CALL_STEP_MS,
      ...options,
    });
  const text =
    (extra: Record<string, unknown> = {}) =>
    (customer: (typeof CUSTOMERS)[number]) =>
      simulator("POST", "sms/inbound", {
        from: customer.number,
        to: smsNumber,
        fromName: customer.name,
        text: TEXTS[Math.floor(Math.random() * TEXTS.length)],
        ...extra,
      });
  const aliceId = DEMO_ACCOUNT.alice.extensionId;
  const bobId = DEMO_ACCOUNT.bob.extensionId;
  return [
    {
      name: "an IVR call Alice answers, holds and records",
      run: call("ivr", { extensionId: aliceId, hold: true, record: true }),
    },
    { name: "a customer texts", run: text() },
    {
      name: "a queue call both agents ring for; Bob answers",
      run: call("queue", { to: queueNumber, answeredBy: bobId }),
    },
    { name: "a missed call", run: call("missed", { to: mainNumber, extensionId: bobId }) },
    {
      name: "an MMS with a picture",
      run: text({ attachments: [{ contentType: "image/png", fileName: "photo.png", base64: PIXEL_PNG }] }),
    },
    {
      name: "a voicemail, transcribed",
      run: call("voicemail", {
        to: mainNumber,
        extensionId: aliceId,
        voicemailSeconds: 14,
        transcription: "Hi, this is about my order, please call me back.",
      }),
    },
    {
      name: "Alice replies by text",
      run: (customer) =>
        alice(SEND_MESSAGE, { channel: world.smsChannelId, to: customer.number, text: "Thanks, on it!" }),
    },
    {
      name: "a cold transfer from Alice to Bob",
      run: call("cold-transfer", { to: mainNumber, extensionId: aliceId, transferTo: { extensionId: bobId } }),
    },
    {
      name: "a text that cannot be delivered",
      run: () =>
        bob(SEND_MESSAGE, { channel: world.smsChannelId, to: UNREACHABLE_NUMBER, text: "Your order is ready" }),
    },
    {
      name: "an attended transfer from Bob to Alice",
      run: call("attended-transfer", { to: mainNumber, extensionId: bobId, transferTo: { extensionId: aliceId } }),
    },
    { name: "a caller gives up in the queue", run: call("abandoned", { to: queueNumber }) },
  ];
}

export interface Traffic {
  stop(): void;
}

/** Plays one scenario now and one every `everyMs`; a failing play is logged and the stream goes on. */
export async function startTraffic(
  world: DemoWorld,
  simulator: SimulatorControl,
  apiUrl: string,
  everyMs: number,
  log: Logger,
): Promise<Traffic> {
  await simulator("PUT", "sms/settings", { failingNumbers: [UNREACHABLE_NUMBER] });
  const round = plays(world, simulator, apiUrl);
  let count = 0;
  const playNext = async () => {
    const play = round[count % round.length]!;
    const customer = CUSTOMERS[count % CUSTOMERS.length]!;
    count += 1;
    try {
      await play.run(customer);
      log.info({ play: play.name, customer: customer.name }, "demo traffic");
    } catch (error) {
      log.warn({ play: play.name, err: error }, "a demo play failed");
    }
  };
  void playNext();
  const timer = setInterval(playNext, everyMs);
  return { stop: () => clearInterval(timer) };
}
