// The live websocket: ticket auth, ping/pong liveness, reconnect with backoff + jitter,
// a retry cap after which the caller polls instead, and a state for the badge.
import type { LiveEventMessage } from "../api/types";
import { ApiError } from "../api/client";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff";

/**
 * idle → connecting → open; a drop → waiting (backoff) → connecting …; after
 * `maxAttempts` failures in a row → polling (fallback on, slow retries); stop() or an
 * unauthorized ticket → stopped.
 */
export type LiveState = "idle" | "connecting" | "open" | "waiting" | "polling" | "stopped";

export interface LiveStatus {
  state: LiveState;
  /** Failed attempts since the last open. */
  attempt: number;
  /** When the next attempt starts (epoch ms), while waiting or polling. */
  retryAt: number | null;
  /** Why the socket stopped (`unauthorized`), if it did. */
  reason: string | null;
}

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface LiveSocketOptions {
  /** The websocket URL from config.json (ws:// or wss://). */
  url: string;
  /** A fresh single-use ticket (POST /api/live/ticket). */
  getTicket: () => Promise<string>;
  onEvent: (message: LiveEventMessage) => void;
  onStatus?: (status: LiveStatus) => void;
  createSocket?: (url: string) => WebSocketLike;
  policy?: BackoffPolicy;
  random?: () => number;
  timers?: Timers;
  /** Ping this often while open (API Gateway drops idle sockets after 10 minutes). */
  pingMs?: number;
  /** Close and reconnect when nothing arrives this long after a ping. */
  pongTimeoutMs?: number;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export class LiveSocket {
  private status: LiveStatus = { state: "idle", attempt: 0, retryAt: null, reason: null };
  private socket: WebSocketLike | null = null;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;
  private generation = 0;
  private readonly policy: BackoffPolicy;
  private readonly random: () => number;
  private readonly timers: Timers;
  private readonly createSocket: (url: string) => WebSocketLike;

  constructor(private readonly options: LiveSocketOptions) {
    this.policy = options.policy ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? realTimers;
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
  }

  get current(): LiveStatus {
    return this.status;
  }

  /** Connect (no-op unless idle or stopped). */
  start(): void {
    if (this.status.state !== "idle" && this.status.state !== "stopped") return;
    this.setStatus({ state: "connecting", attempt: 0, retryAt: null, reason: null });
    void this.connect();
  }

  /** Try now instead of waiting for the backoff (the browser came back online). */
  retryNow(): void {
    if (this.status.state !== "waiting" && this.status.state !== "polling") return;
    this.clearRetry();
    this.setStatus({ ...this.status, state: "connecting", retryAt: null });
    void this.connect();
  }

  /** Close for good (sign-out, page unload). */
  stop(reason: string | null = null): void {
    this.generation++;
    this.clearRetry();
    this.clearPing();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = socket.onerror = socket.onmessage = socket.onopen = null;
      socket.close(1000, "bye");
    }
    this.setStatus({ state: "stopped", attempt: this.status.attempt, retryAt: null, reason });
  }

  /** Sends a command when open (subscribe/unsubscribe); false when not connected. */
  send(command: Record<string, unknown>): boolean {
    if (this.status.state !== "open" || !this.socket) return false;
    this.socket.send(JSON.stringify(command));
    return true;
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    let ticket: string;
    try {
      ticket = await this.options.getTicket();
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof ApiError && error.unauthorized) {
        this.stop("unauthorized");
        return;
      }
      this.failed();
      return;
    }
    if (generation !== this.generation) return;
    const separator = this.options.url.includes("?") ? "&" : "?";
    let socket: WebSocketLike;
    try {
      socket = this.createSocket(`${this.options.url}${separator}ticket=${encodeURIComponent(ticket)}`);
    } catch {
      this.failed();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (generation !== this.generation) return;
      this.setStatus({ state: "open", attempt: 0, retryAt: null, reason: null });
      this.schedulePing();
    };
    socket.onmessage = (ev) => {
      if (generation !== this.generation) return;
      this.alive();
      this.handle(ev.data);
    };
    socket.onerror = () => {
      // a close event always follows; it decides what to do
    };
    socket.onclose = () => {
      if (generation !== this.generation) return;
      this.socket = null;
      this.clearPing();
      this.failed();
    };
  }

  private handle(data: unknown): void {
    if (typeof data !== "string") return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (isLiveEvent(message)) this.options.onEvent(message);
  }

  private failed(): void {
    const attempt = this.status.attempt + 1;
    const givingUp = attempt > this.policy.maxAttempts;
    const delay = givingUp ? this.policy.slowRetryMs : backoffDelay(attempt, this.policy, this.random);
    const retryAt = this.timers.now() + delay;
    this.setStatus({ state: givingUp ? "polling" : "waiting", attempt, retryAt, reason: null });
    this.clearRetry();
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      this.setStatus({ ...this.status, state: givingUp ? "polling" : "connecting", retryAt: null });
      void this.connect();
    }, delay);
  }

  private schedulePing(): void {
    const pingMs = this.options.pingMs ?? 30_000;
    this.clearPing();
    this.pingTimer = this.timers.setTimeout(() => {
      this.pingTimer = null;
      if (!this.socket) return;
      this.socket.send(JSON.stringify({ action: "ping" }));
      this.pongTimer = this.timers.setTimeout(() => {
        this.pongTimer = null;
        // silent socket: close it; onclose reconnects
        this.socket?.close(4000, "no pong");
      }, this.options.pongTimeoutMs ?? 10_000);
    }, pingMs);
  }

  private alive(): void {
    if (this.pongTimer !== null) {
      this.timers.clearTimeout(this.pongTimer);
      this.pongTimer = null;
    }
    if (this.pingTimer === null) this.schedulePing();
  }

  private clearPing(): void {
    if (this.pingTimer !== null) this.timers.clearTimeout(this.pingTimer);
    if (this.pongTimer !== null) this.timers.clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    this.options.onStatus?.(status);
  }
}

export function isLiveEvent(message: unknown): message is LiveEventMessage {
  if (!message || typeof message !== "object") return false;
  const m = message as { v?: unknown; kind?: unknown; event?: { id?: unknown; type?: unknown; ts?: unknown } };
  return (
    m.v === 1 &&
    m.kind === "event" &&
    !!m.event &&
    typeof m.event.id === "string" &&
    typeof m.event.type === "string" &&
    typeof m.event.ts === "number"
  );
}
