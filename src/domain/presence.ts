// RingCentral presence (R2.4, R3.13): an extension's Do Not Disturb and whether it is on a call, as
// RingCentral reports them, applied to its user's availability. RingCentral wins on the facts it
// owns: with DND on the agent is not AVAILABLE (AWAY until DND ends, then back to what they had),
// and whether they are on a call (BUSY, back to their status when RingCentral says the call is
// over, even if a call's own notifications said otherwise). The agent's own choice stays beneath.
import type { AgentStatus } from "../generated/prisma/client.ts";
import { inTransaction, type Deps } from "./event-log.ts";
import type { CallDirectory } from "./telephony.ts";
import { lockAgentStatus } from "../store/locks.ts";

/** What one presence notification (or a presence read) says about an extension. */
export interface PresenceReport {
  extensionId: string;
  /** The notification's sequence; null for a read of the current presence (always applies). */
  sequence: number | null;
  /** Do Not Disturb: the extension takes no calls. */
  dnd: boolean;
  /** On a call (connected or holding one); null when RingCentral's state says neither (ringing). */
  onCall: boolean | null;
}

export interface Availability {
  status: AgentStatus;
  statusBeforeCall: AgentStatus | null;
  ringCentralDnd: boolean;
  statusBeforeDnd: AgentStatus | null;
}

/** The availability a presence report leaves (pure: DND first, on the status beneath any call). */
export function availabilityAfter(current: Availability, report: Pick<PresenceReport, "dnd" | "onCall">): Availability {
  const { status, statusBeforeCall, ringCentralDnd, statusBeforeDnd } = current;
  const next: Availability = { status, statusBeforeCall, ringCentralDnd, statusBeforeDnd };
  const automaticBusy = next.status === "BUSY" && next.statusBeforeCall !== null;
  let chosen = automaticBusy ? next.statusBeforeCall! : next.status;
  if (report.dnd && !next.ringCentralDnd) {
    next.ringCentralDnd = true;
    if (chosen === "AVAILABLE") {
      chosen = "AWAY";
      next.statusBeforeDnd = "AVAILABLE";
    }
  } else if (!report.dnd && next.ringCentralDnd) {
    next.ringCentralDnd = false;
    if (next.statusBeforeDnd && chosen === "AWAY") chosen = next.statusBeforeDnd;
    next.statusBeforeDnd = null;
  }
  if (automaticBusy) next.statusBeforeCall = chosen;
  else next.status = chosen;
  if (report.onCall === true && next.status !== "BUSY") {
    next.statusBeforeCall = next.status;
    next.status = "BUSY";
  } else if (report.onCall === false && automaticBusy) {
    next.status = next.statusBeforeCall!;
    next.statusBeforeCall = null;
  }
  return next;
}

/** Applies a presence report to the user of its extension (by email, R1.3); other extensions are ignored. */
export async function applyPresence(deps: Deps, directory: CallDirectory, report: PresenceReport): Promise<void> {
  const email = directory.extension(report.extensionId)?.email?.toLowerCase();
  if (!email) return;
  await inTransaction(deps, async (tx, log) => {
    const found = await tx.user.findUnique({ where: { email }, select: { id: true } });
    if (!found) return;
    await lockAgentStatus(tx, found.id);
    const user = await tx.user.findUniqueOrThrow({ where: { id: found.id }, include: { memberships: true } });
    if (report.sequence !== null && user.presenceSequence !== null && report.sequence <= user.presenceSequence) return;
    const next = availabilityAfter(user, report);
    await tx.user.update({ where: { id: user.id }, data: { ...next, presenceSequence: report.sequence } });
    if (next.status === user.status) return;
    log.append({
      type: "AGENT_STATUS_CHANGED",
      userIds: [user.id],
      inboxIds: user.memberships.map((m) => m.inboxId),
      payload: { userId: user.id, status: next.status, previousStatus: user.status, automatic: true },
    });
  });
}
