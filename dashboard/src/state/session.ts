// The signed-in session, kept in localStorage (never in a URL).
import type { Session } from "../api/types";

const KEY = "nezuko.session";

export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The stored session if it is well-formed and not expired at `nowSeconds`. */
export function readSession(storage: KeyValue, nowSeconds: number): Session | null {
  let data: unknown;
  try {
    data = JSON.parse(storage.getItem(KEY) ?? "null");
  } catch {
    return null;
  }
  const s = data as Partial<Session> | null;
  if (!s || typeof s.token !== "string" || typeof s.operator_id !== "number" || typeof s.expires_at !== "number") {
    return null;
  }
  if (s.expires_at <= nowSeconds) {
    storage.removeItem(KEY);
    return null;
  }
  return { token: s.token, operator_id: s.operator_id, expires_at: s.expires_at };
}

export function writeSession(storage: KeyValue, session: Session): void {
  storage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(storage: KeyValue): void {
  storage.removeItem(KEY);
}
