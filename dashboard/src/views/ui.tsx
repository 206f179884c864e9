// Shared building blocks. Every user-supplied string is a JSX text child (escaped by Preact).
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { LiveStatus } from "../live/socket";
import { eventLabel, eventTone, formatAgo, formatTime } from "../lib/format";
import type { EventItem } from "../api/types";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p>{error.message || "Something went wrong."}</p>
      {onRetry && (
        <button type="button" class="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="state state-empty">{children}</div>;
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1 tabIndex={-1} data-page-title>
        {title}
      </h1>
      {children && <div class="page-actions">{children}</div>}
    </header>
  );
}

export function StatCard({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId?: string }) {
  return (
    <div class="card stat" data-testid={testId}>
      <div class="stat-label">{label}</div>
      <div class="stat-value" data-testid={testId ? `${testId}-value` : undefined}>
        {value}
      </div>
      {hint && <div class="stat-hint">{hint}</div>}
    </div>
  );
}

const LIVE_TEXT: Record<LiveStatus["state"], string> = {
  idle: "Offline",
  connecting: "Connecting…",
  open: "Live",
  waiting: "Reconnecting…",
  polling: "Polling",
  stopped: "Offline",
};

export function LiveBadge({ status, onRetry }: { status: LiveStatus; onRetry: () => void }) {
  const canRetry = status.state === "waiting" || status.state === "polling";
  const title =
    status.state === "polling"
      ? "The live connection failed repeatedly; checking for new events every few seconds."
      : status.state === "waiting"
        ? `Connection lost; attempt ${status.attempt}.`
        : LIVE_TEXT[status.state];
  return (
    <span class={`badge live live-${status.state}`} data-testid="live-badge" data-state={status.state} title={title}>
      <span class="dot" aria-hidden="true" />
      <span role="status" aria-live="polite">
        {LIVE_TEXT[status.state]}
      </span>
      {canRetry && (
        <button type="button" class="link-btn" onClick={onRetry}>
          Retry now
        </button>
      )}
    </span>
  );
}

export function EventRow({ event, names }: { event: EventItem; names?: Map<string, string> }) {
  const group = event.chat_id !== null ? names?.get(`${event.bot_id}:${event.chat_id}`) : undefined;
  return (
    <li class="feed-item" data-testid="feed-item" data-type={event.type}>
      <span class={`chip tone-${eventTone(event.type)}`}>{eventLabel(event.type)}</span>
      <span class="feed-text">
        {group ? <span class="feed-group">{group}</span> : event.chat_id !== null && <span class="mono">{event.chat_id}</span>}
        {event.user_id !== null && <span class="mono"> · user {event.user_id}</span>}
        {event.reason && <span class="muted"> · {event.reason}</span>}
      </span>
      <time class="muted" dateTime={new Date(event.ts * 1000).toISOString()} title={formatTime(event.ts)}>
        {formatAgo(event.ts)}
      </time>
    </li>
  );
}

/** A modal confirmation on the native <dialog> (focus trap and Escape come with it). */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="confirm-title" onCancel={(e) => (e.preventDefault(), props.onCancel())}>
      <h2 id="confirm-title">{props.title}</h2>
      <p>{props.message}</p>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={props.onCancel} autoFocus>
          Cancel
        </button>
        <button
          type="button"
          class={props.danger ? "btn btn-danger" : "btn btn-primary"}
          disabled={props.busy}
          onClick={props.onConfirm}
          data-testid="confirm"
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function Pager(props: { hasPrev: boolean; hasNext: boolean; onPrev: () => void; onNext: () => void; label?: string }) {
  return (
    <nav class="pager" aria-label={props.label ?? "Pages"}>
      <button type="button" class="btn" disabled={!props.hasPrev} onClick={props.onPrev}>
        ← Previous
      </button>
      <button type="button" class="btn" disabled={!props.hasNext} onClick={props.onNext} data-testid="next-page">
        Next →
      </button>
    </nav>
  );
}

export function Notice({ kind, children }: { kind: "ok" | "error"; children: ComponentChildren }) {
  return (
    <p class={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </p>
  );
}
