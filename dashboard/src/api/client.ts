// The HTTP client of the operator API: bearer auth, JSON bodies, one error type.
import { buildQuery, joinUrl, type QueryValue } from "../lib/query";

/** Every failure of an API call: the server's `{"error": {"code", "message"}}` or ours. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
  /** Skip the Authorization header (sign-in endpoints). */
  anonymous?: boolean;
}

export interface ApiClientOptions {
  baseUrl: string;
  /** The session token, read on every request (null when signed out). */
  token: () => string | null;
  /** Called once per 401 on an authenticated request (the session expired or was revoked). */
  onUnauthorized?: (error: ApiError) => void;
  fetch?: typeof fetch;
}

export class ApiClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ApiClientOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    return joinUrl(this.options.baseUrl, path) + buildQuery(query);
  }

  /** A JSON call; resolves to the parsed body (undefined for 204), rejects with ApiError. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.raw(method, path, options);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, "bad_response", "The server answered something that is not JSON.");
    }
  }

  /** The successful Response itself (CSV downloads); rejects with ApiError otherwise. */
  async raw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json, text/csv" };
    if (!options.anonymous) {
      const token = this.options.token();
      if (token) headers.Authorization = `Bearer ${token}`;
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body,
        signal: options.signal,
        credentials: "omit",
        cache: "no-store",
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
      throw new ApiError(0, "network", "Cannot reach the server. Check your connection and try again.");
    }
    if (response.ok) return response;
    const error = await errorFrom(response);
    if (error.status === 401 && !options.anonymous) this.options.onUnauthorized?.(error);
    throw error;
  }
}

/** The ApiError for a failed response, from its `{"error": {...}}` body when it has one. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const retry = Number(response.headers.get("Retry-After"));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  let code = `http_${response.status}`;
  let message = defaultMessage(response.status);
  try {
    const data: unknown = JSON.parse(await response.text());
    const detail = (data as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (detail && typeof detail.code === "string") code = detail.code;
    if (detail && typeof detail.message === "string" && detail.message) message = detail.message;
  } catch {
    // not our error shape (a proxy's page): keep the status-based message
  }
  return new ApiError(response.status, code, message, retryAfter);
}

function defaultMessage(status: number): string {
  if (status === 401) return "Your session has ended. Please sign in again.";
  if (status === 403) return "You are not allowed to do that.";
  if (status === 404) return "Not found.";
  if (status === 429) return "Too many requests. Wait a moment and try again.";
  if (status >= 500) return "The server had a problem. Try again in a moment.";
  return `The request failed (HTTP ${status}).`;
}
