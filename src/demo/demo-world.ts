// The demo's world, set up through GraphQL as an admin would: the simulator's account connected,
// two inboxes with voice and SMS channels, an admin and two agents whose emails are the simulator's
// extensions' (so RingCentral's rings reach them), their own RingCentral logins (call control from
// GraphiQL), and message templates.
import type { PrismaClient } from "../db.ts";
import { createUser } from "../domain/users.ts";
import { createApiToken } from "../domain/tokens.ts";
import { graphqlAs, TYPED_ERROR } from "./graphql-client.ts";
import type { SimulatorControl } from "./simulator-control.ts";

/** The seeded simulator account's numbers and extensions (docs/simulator.md, "The default account"). */
export const DEMO_ACCOUNT = {
  mainNumber: "+18003151571",
  smsNumber: "+19043014558",
  queueNumber: "+16505550199",
  admin: { email: "admin@switchboard.test", name: "Babji (admin)", extensionId: "809646016" },
  alice: { email: "alice@switchboard.test", name: "Alice", extensionId: "62264425016" },
  bob: { email: "bob@switchboard.test", name: "Bob", extensionId: "62264426016" },
} as const;

export interface DemoPerson {
  email: string;
  token: string;
}

export interface DemoWorld {
  admin: DemoPerson;
  agents: DemoPerson[];
  /** Global ids. */
  inboxes: { frontDesk: string; support: string };
  smsChannelId: string;
}

interface Id {
  id: string;
}

interface SimulatorAccount {
  extensions: { id: string; jwt?: string }[];
}

const CREATE_INBOX = `mutation($name: String!) {
  createInbox(name: $name) { ... on InboxPayload { inbox { id } } ${TYPED_ERROR} }
}`;
const CONNECT_CHANNEL = `mutation($number: String!, $type: ChannelType!, $inbox: ID!) {
  connectChannel(number: $number, type: $type, inboxId: $inbox) {
    ... on ChannelPayload { channel { id } } ${TYPED_ERROR}
  }
}`;
const CREATE_USER = `mutation($email: String!, $name: String!) {
  createUser(email: $email, name: $name, role: AGENT) { ... on UserPayload { user { id } } ${TYPED_ERROR} }
}`;
const CREATE_TOKEN = `mutation($user: ID!) {
  createApiToken(userId: $user, name: "demo") { ... on CreateApiTokenPayload { token } ${TYPED_ERROR} }
}`;
const ADD_MEMBER = `mutation($inbox: ID!, $user: ID!) {
  addInboxMember(inboxId: $inbox, userId: $user) { __typename ${TYPED_ERROR} }
}`;
const CREATE_TEMPLATE = `mutation($name: String!, $body: String!) {
  createMessageTemplate(name: $name, body: $body) { __typename ${TYPED_ERROR} }
}`;
const CONNECT_LOGIN = `mutation($jwt: String!) { connectRingCentralLogin(jwt: $jwt) { __typename ${TYPED_ERROR} } }`;
const VERIFY = `mutation($server: String!, $clientId: String!, $secret: String!, $jwt: String!) {
  verifyRingCentralCredentials(serverUrl: $server, clientId: $clientId, clientSecret: $secret, jwt: $jwt) {
    __typename ${TYPED_ERROR}
  }
}`;

const TEMPLATES = [
  { name: "Opening hours", body: "Hi {{name}}, we are open Monday to Saturday, 9:00 to 18:00." },
  { name: "Call you back", body: "Hi {{name}}, sorry we missed you: {{agent}} will call you back today." },
  { name: "Order ready", body: "Your order {{order}} is ready for pickup." },
];

export interface DemoWorldInput {
  prisma: PrismaClient;
  apiUrl: string;
  simulatorUrl: string;
  simulator: SimulatorControl;
  credentials: { clientId: string; clientSecret: string; jwt: string };
}

export async function setUpDemoWorld(input: DemoWorldInput): Promise<DemoWorld> {
  // The first admin comes from the domain, as `switchboard user create` makes it; the rest is GraphQL.
  const adminUser = await createUser(input.prisma, { ...DEMO_ACCOUNT.admin, role: "ADMIN" });
  const admin = { email: adminUser.email, token: (await createApiToken(input.prisma, adminUser.id, "demo")).token };
  const asAdmin = graphqlAs(input.apiUrl, admin.token);

  const { clientId, clientSecret, jwt } = input.credentials;
  await asAdmin(VERIFY, { server: input.simulatorUrl, clientId, secret: clientSecret, jwt });
  const inboxId = async (name: string) =>
    (await asAdmin<{ createInbox: { inbox: Id } }>(CREATE_INBOX, { name })).createInbox.inbox.id;
  const inboxes = { frontDesk: await inboxId("Front desk"), support: await inboxId("Support") };
  const connect = async (number: string, type: "VOICE" | "SMS", inbox: string) =>
    (await asAdmin<{ connectChannel: { channel: Id } }>(CONNECT_CHANNEL, { number, type, inbox })).connectChannel
      .channel.id;
  await connect(DEMO_ACCOUNT.mainNumber, "VOICE", inboxes.frontDesk);
  await connect(DEMO_ACCOUNT.queueNumber, "VOICE", inboxes.support);
  const smsChannelId = await connect(DEMO_ACCOUNT.smsNumber, "SMS", inboxes.frontDesk);
  const adminId = (await asAdmin<{ viewer: Id }>("{ viewer { id } }")).viewer.id;
  await asAdmin(ADD_MEMBER, { inbox: inboxes.frontDesk, user: adminId });
  for (const template of TEMPLATES) await asAdmin(CREATE_TEMPLATE, template);

  const account = await input.simulator<SimulatorAccount>("GET", "account");
  const agents: DemoPerson[] = [];
  for (const person of [DEMO_ACCOUNT.alice, DEMO_ACCOUNT.bob]) {
    const user = (await asAdmin<{ createUser: { user: Id } }>(CREATE_USER, { email: person.email, name: person.name }))
      .createUser.user.id;
    for (const inbox of Object.values(inboxes)) await asAdmin(ADD_MEMBER, { inbox, user });
    const token = (await asAdmin<{ createApiToken: { token: string } }>(CREATE_TOKEN, { user })).createApiToken.token;
    const extensionJwt = account.extensions.find((e) => e.id === person.extensionId)?.jwt;
    if (extensionJwt) await graphqlAs(input.apiUrl, token)(CONNECT_LOGIN, { jwt: extensionJwt });
    agents.push({ email: person.email, token });
  }
  return { admin, agents, inboxes, smsChannelId };
}
