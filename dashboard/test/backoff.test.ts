import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "../src/live/backoff";

const policy = { ...DEFAULT_BACKOFF, baseMs: 1000, maxMs: 30_000, factor: 2 };

describe("backoffDelay", () => {
  it("grows exponentially between half and all of the step", () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([1000, 2000, 4000, 8000]);
  });

  it("never exceeds the cap however many attempts failed", () => {
    for (const attempt of [6, 10, 50, 1000]) {
      const delay = backoffDelay(attempt, policy, () => 0.999999);
      expect(delay).toBeLessThanOrEqual(30_000);
      expect(delay).toBeGreaterThanOrEqual(15_000);
    }
  });

  it("spreads clients that failed together (jitter)", () => {
    const values = [0.1, 0.5, 0.9].map((r) => backoffDelay(5, policy, () => r));
    expect(new Set(values).size).toBe(3);
  });
});
