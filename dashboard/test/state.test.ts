import { describe, expect, it, vi } from "vitest";
import type { EventItem, Overview } from "../src/api/types";
import { addToFeed, applyToOverview, changesGroups, fromLive, newestTs } from "../src/state/feed";
import { clearSession, readSession, writeSession } from "../src/state/session";
import { createStore } from "../src/state/store";
import { createLiveController } from "../src/live/controller";
import type { LiveStatus } from "../src/live/socket";

const ev = (id: string, ts: number, type = "join_muted", detail: Record<string, unknown> = {}): EventItem => ({
  event_id: id, bot_id: 1, type, ts, chat_id: -100, user_id: 5, actor_id: null, reason: "", channels: [], latency_ms: null, cache_hit: null, detail,
});
const overview: Overview = { protected_groups: 1, channels: 1, verifications_today: 3, pass_rate: 2 / 3, muted_now: 1, uptime_percent: 100 };

describe("store", () => {
  it("notifies subscribers of changes only, until they unsubscribe", () => {
    const store = createStore(1);
    const seen: number[] = [];
    const off = store.subscribe((v) => seen.push(v));
    store.set(2);
    store.set(2);
    store.set((v) => v + 1);
    off();
    store.set(9);
    expect(seen).toEqual([2, 3]);
    expect(store.get()).toBe(9);
  });
});

describe("feed", () => {
  it("keeps newest first without duplicates and within the limit", () => {
    const feed = addToFeed([ev("a", 1), ev("b", 2)], [ev("c", 3), ev("a", 1)], 2);
    expect(feed.map((e) => e.event_id)).toEqual(["c", "b"]);
    expect(newestTs(feed)).toBe(3);
    expect(newestTs([])).toBeNull();
  });

  it("converts a LiveEvent to the events API shape", () => {
    const item = fromLive({ v: 1, kind: "event", event: { id: "x", type: "verified", ts: 5, bot_id: 1, chat_id: -1, user_id: 2, actor_id: null, reason: "r", channels: [3], latency_ms: 4, cache_hit: true, detail: {} } });
    expect(item).toMatchObject({ event_id: "x", type: "verified", channels: [3], cache_hit: true });
  });
});

describe("applyToOverview", () => {
  it("counts a mute as a verification and a muted member", () => {
    const next = applyToOverview(overview, ev("a", 1, "join_muted"));
    expect([next.verifications_today, next.muted_now]).toEqual([4, 2]);
    expect(next.pass_rate).toBeCloseTo(0.5);
  });

  it("a member let in lowers muted and raises the pass rate", () => {
    const next = applyToOverview(overview, ev("a", 1, "verified"));
    expect(next.muted_now).toBe(0);
    expect(next.pass_rate).toBeCloseTo(0.75);
    expect(applyToOverview(next, ev("b", 2, "unmuted_on_channel_join")).muted_now).toBe(0);
  });

  it("leaves group counts to the server: a group protected twice is still one", () => {
    expect(applyToOverview(overview, ev("a", 1, "group_protected"))).toEqual(overview);
    expect(changesGroups(ev("a", 1, "group_protected"))).toBe(true);
    expect(changesGroups(ev("a", 1, "channel_removed"))).toBe(true);
    expect(changesGroups(ev("a", 1, "join_muted"))).toBe(false);
  });

  it("counts blocked messages that muted", () => {
    expect(applyToOverview(overview, ev("a", 1, "message_blocked", { muted_now: true })).muted_now).toBe(2);
    expect(applyToOverview(overview, ev("a", 1, "message_blocked")).muted_now).toBe(1);
    expect(applyToOverview(overview, ev("a", 1, "settings_changed"))).toEqual(overview);
  });
});

describe("session", () => {
  const memory = () => {
    const data = new Map<string, string>();
    return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
  };
  it("round-trips and expires", () => {
    const storage = memory();
    writeSession(storage, { token: "t", operator_id: 1, expires_at: 100 });
    expect(readSession(storage, 50)).toEqual({ token: "t", operator_id: 1, expires_at: 100 });
    expect(readSession(storage, 100)).toBeNull();
    expect(storage.getItem("nezuko.session")).toBeNull();
  });
  it("ignores garbage and clears", () => {
    const storage = memory();
    storage.setItem("nezuko.session", "{not json");
    expect(readSession(storage, 0)).toBeNull();
    writeSession(storage, { token: "t", operator_id: 1, expires_at: 100 });
    clearSession(storage);
    expect(readSession(storage, 0)).toBeNull();
  });
});

describe("live controller", () => {
  it("polls while the socket is degraded and tells listeners about new events once", async () => {
    const feed = createStore<EventItem[]>([ev("old", 10)]);
    const status = createStore<LiveStatus>({ state: "idle", attempt: 0, retryAt: null, reason: null });
    const fetchSince = vi.fn(async () => ({ items: [ev("old", 10), ev("new", 11)], next_cursor: null }));
    const sockets: { onclose: ((e: { code: number }) => void) | null }[] = [];
    const controller = createLiveController({
      url: "ws://x",
      getTicket: async () => "t",
      fetchSince,
      feed,
      status,
      onUnauthorized: () => undefined,
      pollMs: 1_000_000,
      socket: {
        policy: { baseMs: 1, maxMs: 1, factor: 1, maxAttempts: 0, slowRetryMs: 1_000_000 },
        createSocket: () => {
          const s = { readyState: 0, onopen: null, onclose: null, onerror: null, onmessage: null, send() {}, close() {} };
          sockets.push(s);
          return s;
        },
      },
    });
    const seen: string[] = [];
    controller.onNew((e) => seen.push(e.event_id));
    controller.start();
    await new Promise((r) => setTimeout(r, 0));
    sockets[0].onclose?.({ code: 1006 });
    await new Promise((r) => setTimeout(r, 0));
    expect(status.get().state).toBe("polling");
    expect(fetchSince).toHaveBeenCalledWith(10);
    expect(seen).toEqual(["new"]);
    expect(feed.get().map((e) => e.event_id)).toEqual(["new", "old"]);
    controller.stop();
  });
});
