// The polling fallback: while the socket is down, ask /api/events for what is new.
import type { EventItem, Page } from "../api/types";

export interface PollerOptions {
  fetchSince: (since: number | undefined) => Promise<Page<EventItem>>;
  onEvents: (events: EventItem[]) => void;
  /** The newest event time already shown (seconds), read at every poll. */
  lastTs: () => number | null;
  intervalMs?: number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export class Poller {
  private timer: unknown = null;
  private running = false;

  constructor(private readonly options: PollerOptions) {}

  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) (this.options.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)))(this.timer);
    this.timer = null;
  }

  /** One poll now (also used once to catch up after the socket reopens). */
  async pollOnce(): Promise<void> {
    const since = this.options.lastTs();
    try {
      const page = await this.options.fetchSince(since ?? undefined);
      if (page.items.length) this.options.onEvents(page.items);
    } catch {
      // the next tick tries again; the badge already says we are degraded
    }
  }

  private async tick(): Promise<void> {
    await this.pollOnce();
    if (!this.running) return;
    const schedule = this.options.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.timer = schedule(() => {
      this.timer = null;
      void this.tick();
    }, this.options.intervalMs ?? 10_000);
  }
}
