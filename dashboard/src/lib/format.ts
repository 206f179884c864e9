// Display formatting (returns strings; views render them as text).

export function formatTime(epochSeconds: number | null | undefined): string {
  if (epochSeconds === null || epochSeconds === undefined) return "—";
  return new Date(epochSeconds * 1000).toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

export function formatAgo(epochSeconds: number, nowMs: number = Date.now()): string {
  const s = Math.max(0, Math.round(nowMs / 1000 - epochSeconds));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${value.toFixed(digits)}%`;
}

export function formatRate(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : formatPercent(value * 100);
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toLocaleString();
}

/** `join_muted` → `Join muted`. */
export function eventLabel(type: string): string {
  const words = type.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A tone for an event type, for the feed's colour chip (a class name, not a style). */
export function eventTone(type: string): "good" | "bad" | "warn" | "info" {
  if (/verified|unmuted|protected$|resume/.test(type) && !/unprotected/.test(type)) return "good";
  if (/muted|blocked|failed|restricted/.test(type)) return "bad";
  if (/unknown|unprotected|error/.test(type)) return "warn";
  return "info";
}
