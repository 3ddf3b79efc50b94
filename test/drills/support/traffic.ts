// The calls and texts a drill plays, and the check that the API shows each of them exactly once and
// right: every call with the outcome its scenario ends in, every text with what was sent.
import {
  discrepancies,
  textDiscrepancies,
  waitUntil,
  type CallKind,
  type Deployment,
  type PlayedCall,
  type SentText,
  type StoredState,
} from "./deployment.ts";

/** How long the API may take to show everything after a fault (bounds the wait; not a target). */
export const CONSISTENT_WITHIN_MS = 90_000;

export interface Traffic {
  played: PlayedCall[];
  sent: SentText[];
  /** Plays calls (answered by the IVR, missed, alternately) and texts, interleaved. */
  play(calls: number, texts: number): Promise<{ calls: PlayedCall[]; texts: SentText[] }>;
  /** What the API shows wrong of everything played so far (nothing: consistent). */
  problems(state: StoredState): string[];
  /** Waits until the API is consistent; returns the milliseconds since `since`. */
  consistentSince(since: number): Promise<number>;
  /** "N calls, M texts" so far. */
  summary(): string;
}

export function trafficOf(deployment: Deployment): Traffic {
  const played: PlayedCall[] = [];
  const sent: SentText[] = [];
  const problems = (state: StoredState) => [
    ...discrepancies(played, state.calls),
    ...textDiscrepancies(sent, state.texts),
  ];
  return {
    played,
    sent,
    async play(calls, texts) {
      const newCalls: PlayedCall[] = [];
      const newTexts: SentText[] = [];
      for (let i = 0; i < Math.max(calls, texts); i++) {
        if (i < calls) {
          const kind: CallKind = i % 2 === 0 ? "ivr" : "missed";
          newCalls.push(await deployment.playCall(kind));
        }
        if (i < texts) newTexts.push(await deployment.sendText());
      }
      played.push(...newCalls);
      sent.push(...newTexts);
      return { calls: newCalls, texts: newTexts };
    },
    problems,
    async consistentSince(since) {
      await waitUntil(
        async () => problems(await deployment.storedState()).length === 0,
        CONSISTENT_WITHIN_MS,
        async () => problems(await deployment.storedState()).join("\n"),
        deployment,
      );
      return Date.now() - since;
    },
    summary: () => `${played.length} calls, ${sent.length} texts`,
  };
}
