// Call-control types (R3.10, R3.9, R2.5): the payloads of the call actions and of placeCall, and the
// event telling an agent their RingCentral login changed.
import type { Channel } from "../generated/prisma/client.ts";
import type { EventRecordOf } from "../domain/events.ts";
import { builder } from "./builder.ts";
import { CallRef } from "./calls.ts";
import { ChannelRef } from "./inboxes.ts";
import { RingCentralLoginStateEnum } from "./users.ts";
import { EventTypeEnum } from "./events.ts";

export const CallControlPayload = builder.objectRef<{ call: { id: string } }>("CallControlPayload").implement({
  description:
    "RingCentral accepted the action. `call` is the call as stored when it did: the change itself arrives " +
    "moments later through RingCentral's notifications — watch `callUpdated` (and `conversationEvents`) " +
    "for the new state.",
  fields: (t) => ({
    call: t.field({
      type: CallRef as never,
      description: "The call, as stored before RingCentral's notifications of the change.",
      resolve: (p) => p.call as never,
    }),
  }),
});

export const PlaceCallPayload = builder
  .objectRef<{ channel: Channel; toNumber: string; ringOutId: string | null }>("PlaceCallPayload")
  .implement({
    description:
      "RingCentral is placing the call: it rings your own phone first, then the customer, showing the " +
      "channel's number. The conversation appears in the channel's inbox, assigned to you, when " +
      "RingCentral reports the call (`conversationEvents`, `callUpdated`).",
    fields: (t) => ({
      channel: t.field({
        type: ChannelRef as never,
        description: "The channel whose number the customer sees.",
        resolve: (p) => p.channel as never,
      }),
      toNumber: t.exposeString("toNumber", { description: "The number called, E.164." }),
      ringOutId: t.exposeString("ringOutId", { nullable: true, description: "RingCentral's RingOut id of the call." }),
    }),
  });

export const RingCentralLoginEventRef = builder
  .objectRef<EventRecordOf<"RINGCENTRAL_LOGIN_EXPIRED">>("RingCentralLoginEvent")
  .implement({
    description:
      "Your own RingCentral login changed state, e.g. it expired: connect it again with " +
      "`connectRingCentralLogin`.",
    fields: (t) => ({
      cursor: t.exposeString("sequence", { description: "Pass as `after` to resume right after this event." }),
      createdAt: t.field({ type: "DateTime", description: "When it changed.", resolve: (e) => e.createdAt }),
      type: t.field({ type: EventTypeEnum, description: "RINGCENTRAL_LOGIN_EXPIRED.", resolve: (e) => e.type }),
      state: t.field({
        type: RingCentralLoginStateEnum,
        description: "The login's state after the change.",
        resolve: (e) => e.payload.state,
      }),
    }),
  });
