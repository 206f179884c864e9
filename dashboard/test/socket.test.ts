import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api/client";
import type { LiveEventMessage } from "../src/api/types";
import { LiveSocket, type LiveState, type Timers, type WebSocketLike } from "../src/live/socket";

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: string[] = [];
  closed: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close(code = 1000) {
    this.closed = code;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  receive(data: unknown) {
    this.onmessage?.({ data: typeof data === "string" ? data : JSON.stringify(data) });
  }
}

class FakeTimers implements Timers {
  time = 0;
  private queue: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++;
    this.queue.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.queue = this.queue.filter((t) => t.id !== handle);
  }
  now() {
    return this.time;
  }
  pending() {
    return this.queue.map((t) => t.at - this.time).sort((a, b) => a - b);
  }
  /** Runs the earliest timer; returns its delay. */
  runNext(): number {
    this.queue.sort((a, b) => a.at - b.at);
    const timer = this.queue.shift();
    if (!timer) throw new Error("no timer pending");
    const delay = timer.at - this.time;
    this.time = timer.at;
    timer.fn();
    return delay;
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const policy = { baseMs: 1000, maxMs: 8000, factor: 2, maxAttempts: 3, slowRetryMs: 60_000 };

function setup(getTicket: () => Promise<string> = async () => "tk") {
  const sockets: FakeSocket[] = [];
  const states: LiveState[] = [];
  const events: LiveEventMessage[] = [];
  const timers = new FakeTimers();
  const live = new LiveSocket({
    url: "ws://live.test",
    getTicket,
    onEvent: (m) => events.push(m),
    onStatus: (s) => states.push(s.state),
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    policy,
    random: () => 0.5,
    timers,
    pingMs: 30_000,
    pongTimeoutMs: 10_000,
  });
  return { live, sockets, states, events, timers };
}

const event = (id: string): LiveEventMessage => ({
  v: 1,
  kind: "event",
  event: { id, type: "join_muted", ts: 1, bot_id: 1, chat_id: -1, user_id: 2, actor_id: null, reason: "", channels: [], latency_ms: 12, cache_hit: false, detail: {} },
});

describe("LiveSocket", () => {
  it("connects with a fresh ticket in the query string and goes open", async () => {
    const { live, sockets, states } = setup();
    live.start();
    await tick();
    expect(sockets[0].url).toBe("ws://live.test?ticket=tk");
    sockets[0].open();
    expect(states).toEqual(["connecting", "open"]);
  });

  it("delivers LiveEvent messages and ignores anything else", async () => {
    const { live, sockets, events } = setup();
    live.start();
    await tick();
    sockets[0].open();
    sockets[0].receive(event("e1"));
    sockets[0].receive({ type: "pong" });
    sockets[0].receive("not json");
    sockets[0].receive({ v: 2, kind: "event", event: { id: "x" } });
    expect(events.map((e) => e.event.id)).toEqual(["e1"]);
  });

  it("backs off exponentially with jitter and resets the count on open", async () => {
    const { live, sockets, timers, states } = setup();
    live.start();
    await tick();
    sockets[0].drop();
    expect(timers.runNext()).toBe(750); // 1000 * (0.5 + 0.5 * 0.5)
    await tick();
    sockets[1].drop();
    expect(timers.runNext()).toBe(1500);
    await tick();
    sockets[2].open();
    expect(live.current.attempt).toBe(0);
    sockets[2].drop();
    expect(timers.pending()).toEqual([750]);
    expect(states.filter((s) => s === "waiting")).toHaveLength(3);
  });

  it("caps the delay and gives up to polling after maxAttempts, then retries slowly", async () => {
    const { live, sockets, timers } = setup();
    live.start();
    await tick();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      sockets[sockets.length - 1].drop();
      expect(live.current.state).toBe("waiting");
      delays.push(timers.runNext());
      await tick();
    }
    expect(delays).toEqual([750, 1500, 3000]);
    sockets[sockets.length - 1].drop();
    expect(live.current.state).toBe("polling");
    expect(timers.runNext()).toBe(60_000);
    await tick();
    expect(live.current.state).toBe("polling"); // still degraded while the slow retry connects
    sockets[sockets.length - 1].open();
    expect(live.current.state).toBe("open");
  });

  it("retries when getting a ticket fails, and stops when the session is gone", async () => {
    let calls = 0;
    const { live, timers } = setup(async () => {
      calls++;
      if (calls === 1) throw new ApiError(0, "network", "offline");
      throw new ApiError(401, "unauthorized", "expired");
    });
    live.start();
    await tick();
    expect(live.current.state).toBe("waiting");
    timers.runNext();
    await tick();
    expect(live.current).toMatchObject({ state: "stopped", reason: "unauthorized" });
    expect(timers.pending()).toEqual([]);
  });

  it("pings while open and reconnects a socket that stops answering", async () => {
    const { live, sockets, timers } = setup();
    live.start();
    await tick();
    sockets[0].open();
    expect(timers.runNext()).toBe(30_000);
    expect(sockets[0].sent).toEqual(['{"action":"ping"}']);
    expect(timers.runNext()).toBe(10_000); // no pong
    expect(sockets[0].closed).toBe(4000);
    sockets[0].drop(4000);
    expect(live.current.state).toBe("waiting");
  });

  it("a pong keeps the socket", async () => {
    const { live, sockets, timers } = setup();
    live.start();
    await tick();
    sockets[0].open();
    timers.runNext();
    sockets[0].receive({ type: "pong", ts: 1 });
    expect(timers.pending()).toEqual([30_000]);
    expect(sockets[0].closed).toBeNull();
  });

  it("stop() closes, cancels timers and ignores late callbacks", async () => {
    const { live, sockets, timers, events } = setup();
    live.start();
    await tick();
    sockets[0].open();
    live.stop();
    expect(sockets[0].closed).toBe(1000);
    expect(timers.pending()).toEqual([]);
    sockets[0].receive(event("late"));
    expect(events).toEqual([]);
    expect(live.current.state).toBe("stopped");
  });

  it("retryNow skips the wait", async () => {
    const { live, sockets, timers } = setup();
    live.start();
    await tick();
    sockets[0].drop();
    live.retryNow();
    await tick();
    expect(sockets).toHaveLength(2);
    expect(timers.pending()).toEqual([]);
  });
});
