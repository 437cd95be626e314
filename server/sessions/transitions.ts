import type { SessionState } from '../../protocol/api.ts';

/**
 * The session's state machine, in one table. The steps check a request against it before any work
 * (`requireState`), and the store's compare-and-set updates take their `WHERE state IN (…)` from it,
 * so the rule a step checks and the rule the database enforces under concurrency cannot drift apart.
 */
export const TRANSITIONS = {
  /** A code is sent (first or again). The person is fixed by the first one. */
  send_code: { from: ['created', 'otp_sent'], to: 'otp_sent' },
  /** A wrong code is counted; the last allowed try locks the session. */
  wrong_code: { from: ['otp_sent'], to: 'otp_sent', orLocked: true },
  /** The right code, entered in the frame: the citizen is asked next. */
  verify_code: { from: ['otp_sent'], to: 'verified' },
  /** The right code, sent by the host backend with `consent: true`: its app collected the code, which is the consent. */
  consent_with_code: { from: ['otp_sent'], to: 'completed' },
  /**
   * The code's holder, in the frame, tries another name after one that matched no one (at most
   * NAME_TRIES_PER_SESSION, counted by the compare-and-set): a match re-keys the session's person.
   */
  correct_name: { from: ['verified'], to: 'verified' },
  /** The citizen chose Share. */
  allow: { from: ['verified'], to: 'completed' },
  /** The citizen chose Don't share. */
  deny: { from: ['verified'], to: 'denied' },
} as const satisfies Record<string, { from: readonly SessionState[]; to: SessionState; orLocked?: boolean }>;

export type TransitionName = keyof typeof TRANSITIONS;

/** States in which a session has ended for good: expiry no longer applies to them. */
export const FINAL_STATES: readonly SessionState[] = ['completed', 'denied'];

export function allows(name: TransitionName, state: SessionState): boolean {
  return (TRANSITIONS[name].from as readonly SessionState[]).includes(state);
}

/** `'a', 'b'` for a SQL `IN (…)`: the states a transition may start from (constants, never input). */
export function fromStatesSql(name: TransitionName): string {
  return TRANSITIONS[name].from.map((s) => `'${s}'`).join(', ');
}

/** States a session can still move on from (some transition starts there): expiry ends these. */
export const LIVE_STATES: readonly SessionState[] = [...new Set(Object.values(TRANSITIONS).flatMap((t) => t.from as readonly SessionState[]))];
