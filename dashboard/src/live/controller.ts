// Wires the socket, the polling fallback and the feed store together (no DOM).
import type { EventItem, Page } from "../api/types";
import type { Store } from "../state/store";
import { addToFeed, fromLive, newestTs } from "../state/feed";
import { LiveSocket, type LiveSocketOptions, type LiveStatus } from "./socket";
import { Poller } from "./poller";

export interface LiveControllerOptions {
  url: string;
  getTicket: () => Promise<string>;
  /** /api/events since a time (seconds, inclusive), newest first. */
  fetchSince: (since: number | undefined) => Promise<Page<EventItem>>;
  feed: Store<EventItem[]>;
  status: Store<LiveStatus>;
  onUnauthorized: () => void;
  socket?: Partial<LiveSocketOptions>;
  pollMs?: number;
}

export interface LiveController {
  start(): void;
  stop(): void;
  retryNow(): void;
  /** Called for every event shown for the first time (live or polled). */
  onNew(listener: (event: EventItem) => void): () => void;
}

export function createLiveController(options: LiveControllerOptions): LiveController {
  const listeners = new Set<(event: EventItem) => void>();
  let wasOpen = false;

  const accept = (events: EventItem[]) => {
    const before = new Set(options.feed.get().map((e) => e.event_id));
    options.feed.set((feed) => addToFeed(feed, events));
    const fresh = events.filter((e) => !before.has(e.event_id));
    fresh.sort((a, b) => a.ts - b.ts);
    for (const event of fresh) for (const listener of [...listeners]) listener(event);
  };

  const poller = new Poller({
    fetchSince: options.fetchSince,
    onEvents: accept,
    lastTs: () => newestTs(options.feed.get()),
    intervalMs: options.pollMs,
  });

  const socket = new LiveSocket({
    url: options.url,
    getTicket: options.getTicket,
    onEvent: (message) => accept([fromLive(message)]),
    onStatus: (status) => {
      options.status.set(status);
      if (status.state === "polling") poller.start();
      if (status.state === "open") {
        poller.stop();
        // fill the gap while we were away (the first open has nothing to catch up on)
        if (wasOpen) void poller.pollOnce();
        wasOpen = true;
      }
      if (status.state === "stopped") {
        poller.stop();
        if (status.reason === "unauthorized") options.onUnauthorized();
      }
    },
    ...options.socket,
  });

  return {
    start: () => socket.start(),
    stop: () => {
      poller.stop();
      socket.stop();
    },
    retryNow: () => socket.retryNow(),
    onNew(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
