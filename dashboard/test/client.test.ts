import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError } from "../src/api/client";
import { NezukoApi } from "../src/api/endpoints";

function fakeFetch(status: number, body: string, headers: Record<string, string> = {}) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return new Response(status === 204 ? null : body, { status, headers });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

describe("ApiClient", () => {
  it("sends the session as a bearer header and never in the URL", async () => {
    const { fetch, calls } = fakeFetch(200, '{"operator_id": 1}');
    const client = new ApiClient({ baseUrl: "http://api.test/", token: () => "s3cret", fetch });
    await client.json("GET", "/api/me");
    expect(calls[0].url).toBe("http://api.test/api/me");
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBe("Bearer s3cret");
    expect(calls[0].url).not.toContain("s3cret");
  });

  it("omits the header on anonymous calls such as sign-in", async () => {
    const { fetch, calls } = fakeFetch(200, '{"token": "t", "operator_id": 1, "expires_at": 9}');
    const api = new NezukoApi(new ApiClient({ baseUrl: "http://api.test", token: () => "old", fetch }));
    await api.signInMagic("code-code-code-code");
    const headers = calls[0].init.headers as Record<string, string>;
    expect(headers.Authorization).toBeUndefined();
    expect(calls[0].init.body).toBe('{"code":"code-code-code-code"}');
    expect(headers["Content-Type"]).toBe("application/json");
  });

  it("turns the error shape into an ApiError with code and message", async () => {
    const { fetch } = fakeFetch(400, '{"error": {"code": "invalid_input", "message": "token: bad"}}');
    const client = new ApiClient({ baseUrl: "http://api.test", token: () => "t", fetch });
    const error = (await client.json("POST", "/api/bots", { body: { token: "x" } }).catch((e: ApiError) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.code, error.message]).toEqual([400, "invalid_input", "token: bad"]);
  });

  it("keeps a readable message when the body is not our error shape", async () => {
    const { fetch } = fakeFetch(502, "<html>Bad gateway</html>");
    const client = new ApiClient({ baseUrl: "http://api.test", token: () => "t", fetch });
    const error = (await client.json("GET", "/api/overview").catch((e: ApiError) => e)) as ApiError;
    expect([error.status, error.code]).toEqual([502, "http_502"]);
    expect(error.message).toMatch(/server had a problem/);
  });

  it("reads Retry-After on 429", async () => {
    const { fetch } = fakeFetch(429, '{"error": {"code": "rate_limited", "message": "slow down"}}', { "Retry-After": "7" });
    const client = new ApiClient({ baseUrl: "http://api.test", token: () => "t", fetch });
    const error = (await client.json("POST", "/api/auth/magic", { anonymous: true }).catch((e: ApiError) => e)) as ApiError;
    expect(error.retryAfter).toBe(7);
  });

  it("calls onUnauthorized on a 401 of an authenticated call only", async () => {
    const onUnauthorized = vi.fn();
    const { fetch } = fakeFetch(401, '{"error": {"code": "unauthorized", "message": "expired"}}');
    const client = new ApiClient({ baseUrl: "http://api.test", token: () => "t", fetch, onUnauthorized });
    await client.json("GET", "/api/me").catch(() => undefined);
    await client.json("POST", "/api/auth/magic", { anonymous: true }).catch(() => undefined);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("reports a network failure as status 0", async () => {
    const fetch = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof globalThis.fetch;
    const client = new ApiClient({ baseUrl: "http://api.test", token: () => null, fetch });
    const error = (await client.json("GET", "/api/me").catch((e: ApiError) => e)) as ApiError;
    expect([error.status, error.code]).toEqual([0, "network"]);
  });

  it("resolves undefined for 204 No Content", async () => {
    const { fetch } = fakeFetch(204, "");
    const client = new ApiClient({ baseUrl: "http://api.test", token: () => "t", fetch });
    expect(await client.json("POST", "/api/auth/logout")).toBeUndefined();
  });
});

describe("NezukoApi", () => {
  it("builds group paths and drops empty filters from the query", async () => {
    const { fetch, calls } = fakeFetch(200, '{"items": [], "next_cursor": null}');
    const api = new NezukoApi(new ApiClient({ baseUrl: "http://api.test", token: () => "t", fetch }));
    await api.events({ bot_id: 7, chat_id: -100, type: "", user_id: undefined, cursor: "abc" });
    await api.updateSettings(7, -100, { notice_ttl: 30 });
    expect(calls[0].url).toBe("http://api.test/api/events?bot_id=7&chat_id=-100&cursor=abc");
    expect(calls[1].url).toBe("http://api.test/api/bots/7/groups/-100/settings");
    expect(calls[1].init.method).toBe("PATCH");
    expect(calls[1].init.body).toBe('{"settings":{"notice_ttl":30}}');
  });

  it("returns the CSV text with its row count and continuation cursor", async () => {
    const { fetch, calls } = fakeFetch(200, "a,b\r\n1,2\r\n", { "X-Rows": "1", "X-Next-Cursor": "next1" });
    const api = new NezukoApi(new ApiClient({ baseUrl: "http://api.test", token: () => "t", fetch }));
    const part = await api.exportCsv("events", { bot_id: 1, limit: 50 });
    expect(part).toEqual({ text: "a,b\r\n1,2\r\n", rows: 1, next: "next1" });
    expect(calls[0].url).toBe("http://api.test/api/events/export?bot_id=1");
  });
});
