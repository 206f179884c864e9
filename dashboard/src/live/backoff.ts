// Reconnect delays: exponential growth, capped, with "equal jitter" (half fixed, half random),
// so a fleet of dashboards that lost the socket together does not come back together.

export interface BackoffPolicy {
  /** First delay (ms) before jitter. */
  baseMs: number;
  /** No delay exceeds this (ms). */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Fast attempts before giving up to the polling fallback. */
  maxAttempts: number;
  /** After giving up: one more attempt every this many ms (the socket may come back). */
  slowRetryMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 1000,
  maxMs: 30_000,
  factor: 2,
  maxAttempts: 6,
  slowRetryMs: 60_000,
};

/** Delay before attempt `attempt` (1-based) with `random()` in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exp = policy.baseMs * policy.factor ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxMs, exp);
  return Math.round(capped / 2 + random() * (capped / 2));
}
