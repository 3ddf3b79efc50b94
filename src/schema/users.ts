import { builder } from "./builder.ts";
import { viewerOf } from "./viewer.ts";
import { visibleInboxes } from "../domain/access.ts";
import { loginStateOf } from "../domain/agent-sessions.ts";

export const RoleEnum = builder.enumType("Role", {
  description: "What a user may do: admins manage everything, agents work in their inboxes.",
  values: {
    ADMIN: { description: "Sees every inbox; manages users, inboxes, tokens and RingCentral." },
    AGENT: { description: "Sees only the inboxes they are a member of." },
  } as const,
});

export const AgentStatusEnum = builder.enumType("AgentStatus", {
  description:
    "An agent's availability. BUSY is set automatically while RingCentral has them on a call, AWAY while " +
    "Do Not Disturb is on in RingCentral.",
  values: {
    AVAILABLE: { description: "Ready for calls and conversations." },
    AWAY: { description: "Not at their desk, or Do Not Disturb in RingCentral." },
    BUSY: { description: "On a call." },
    OFFLINE: { description: "Signed off." },
  } as const,
});

export const RingCentralLoginStateEnum = builder.enumType("RingCentralLoginState", {
  description: "The state of an agent's own RingCentral login, needed to place and control calls.",
  values: {
    CONNECTED: { description: "A valid session." },
    EXPIRED: { description: "The session expired: reconnect before using call controls." },
    NOT_CONNECTED: { description: "Never connected." },
  } as const,
});

export const UserRef = builder.prismaNode("User", {
  select: { id: true }, // only the columns a query asks for
  nullable: true,
  description: "A person using Switchboard.",
  id: { field: "id", description: "Global id." },
  fields: (t) => ({
    email: t.exposeString("email", {
      description: "Email address (lower-cased); links the user to a RingCentral extension.",
    }),
    name: t.exposeString("name", { description: "Display name." }),
    role: t.expose("role", { type: RoleEnum, description: "ADMIN or AGENT." }),
    status: t.expose("status", { type: AgentStatusEnum, description: "Current availability." }),
    doNotDisturb: t.exposeBoolean("ringCentralDnd", {
      description: "Do Not Disturb is on in RingCentral: the user is not AVAILABLE until it is turned off there.",
    }),
    muteIncomingCallBanner: t.exposeBoolean("muteIncomingCallBanner", {
      description: "When on, no `incomingCall` events are sent to this user.",
    }),
    ringCentralLogin: t.field({
      type: RingCentralLoginStateEnum,
      description: "The state of the user's own RingCentral login.",
      select: { agentSession: { select: { state: true, expiresAt: true } } },
      resolve: (user) => loginStateOf(user.agentSession),
    }),
    inboxes: t.prismaField({
      type: ["Inbox"],
      description: "The inboxes this user is a member of (only those you can see).",
      resolve: (query, user, _args, ctx) =>
        ctx.prisma.inbox.findMany({
          ...query,
          where: { AND: [{ members: { some: { userId: user.id } } }, visibleInboxes(viewerOf(ctx))] },
          orderBy: { name: "asc" },
        }),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the user was created." }),
  }),
});

export const ApiTokenRef = builder.prismaObject("ApiToken", {
  description: "A bearer token. Its value is shown once, when created; only a hash is stored.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "Token id (not the secret)." }),
    name: t.exposeString("name", { description: "A label for the token." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    revokedAt: t.expose("revokedAt", {
      type: "DateTime",
      nullable: true,
      description: "When it was revoked; null while valid.",
    }),
    user: t.relation("user", { description: "Whose token it is." }),
  }),
});
