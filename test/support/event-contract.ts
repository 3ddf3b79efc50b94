// Every event any test makes the domain write is checked against the catalogue's payload schema:
// the types keep the code honest, this keeps the casts at the edges (activities, the store) honest.
import { EVENT_CATALOGUE } from "../../src/domain/events.ts";
import { checkEventsBeforeWrite } from "../../src/store/event-log.ts";

checkEventsBeforeWrite((event) => {
  const result = EVENT_CATALOGUE[event.type].payload.strict().safeParse(event.payload);
  if (!result.success) throw new Error(`${event.type} breaks the event catalogue: ${result.error.message}`);
});
