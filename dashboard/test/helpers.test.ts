import { describe, expect, it } from "vitest";
import { csvFileName, mergeCsvPages, parseCsv } from "../src/lib/csv";
import { current, firstPage, next, previous, sortRows } from "../src/lib/pages";
import { botTokenProblem, buildQuery, hashQuery, joinUrl, loginCodeFromHash, parseIntField } from "../src/lib/query";
import { parseRoute, href } from "../src/lib/route";
import { connectSources, parseConfig } from "../src/config";
import { resolveTheme } from "../src/lib/theme";

describe("query helpers", () => {
  it("builds sorted, encoded queries without empty values", () => {
    expect(buildQuery({ q: " a&b ", bot_id: 1, enabled: false, cursor: undefined, type: "", x: null })).toBe("?bot_id=1&enabled=false&q=a%26b");
    expect(buildQuery({})).toBe("");
  });
  it("joins URLs with one slash", () => {
    expect(joinUrl("http://a/", "/api/me")).toBe("http://a/api/me");
  });
  it("parses integer fields", () => {
    expect(parseIntField(" -100123 ")).toBe(-100123);
    expect(parseIntField("")).toBeUndefined();
    expect(parseIntField("12a")).toBeNaN();
  });
  it("finds the magic-link code in the hash only when well-formed", () => {
    expect(loginCodeFromHash("#login=abcdefghijklmnop_-")).toBe("abcdefghijklmnop_-");
    expect(loginCodeFromHash("#login=short")).toBeNull();
    expect(loginCodeFromHash("#/overview")).toBeNull();
    expect(loginCodeFromHash("#login=abcdefghijklmnopq<script>")).toBeNull();
  });
  it("explains what is wrong with a bot token before sending it", () => {
    expect(botTokenProblem("")).toMatch(/Paste/);
    expect(botTokenProblem("123:abc def")).toMatch(/spaces/);
    expect(botTokenProblem("hello")).toMatch(/does not look like/);
    expect(botTokenProblem("7100000002:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawx")).toBeNull();
  });
  it("reads the query of a hash route", () => {
    expect(hashQuery("#/events?bot_id=1&chat_id=-2")).toEqual({ bot_id: "1", chat_id: "-2" });
    expect(hashQuery("#/events")).toEqual({});
  });
});

describe("csv", () => {
  it("merges pages under one header", () => {
    expect(mergeCsvPages(["a,b\r\n1,2\r\n", "a,b\r\n3,4\r\n", ""])).toBe("a,b\r\n1,2\r\n3,4\r\n");
    expect(mergeCsvPages([])).toBe("");
  });
  it("parses quotes, doubled quotes and embedded newlines", () => {
    expect(parseCsv('id,title\r\n1,"<img src=x onerror=alert(1)>"\r\n2,"a ""b"", c\nd"\r\n')).toEqual([
      ["id", "title"],
      ["1", "<img src=x onerror=alert(1)>"],
      ["2", 'a "b", c\nd'],
    ]);
  });
  it("names files by kind and minute", () => {
    expect(csvFileName("events", new Date("2026-11-29T21:30:45Z"))).toBe("nezuko-events-2026-11-29T2130.csv");
  });
});

describe("pagination and sorting", () => {
  it("remembers cursors to go back", () => {
    let p = firstPage();
    p = next(p, "c1");
    p = next(p, "c2");
    expect(current(p)).toBe("c2");
    p = previous(previous(p));
    expect(current(p)).toBeNull();
    expect(next(p, null)).toBe(p);
    expect(next(p, "x").cursors).toEqual([null, "x"]);
  });
  it("sorts strings case-insensitively with nulls last", () => {
    const rows = [{ t: "b" }, { t: null }, { t: "A" }];
    expect(sortRows(rows, (r) => r.t, "asc").map((r) => r.t)).toEqual(["A", "b", null]);
    expect(sortRows(rows, (r) => r.t, "desc").map((r) => r.t)).toEqual(["b", "A", null]);
  });
});

describe("routes", () => {
  it("parses every page and rejects malformed ids", () => {
    expect(parseRoute("")).toEqual({ page: "overview" });
    expect(parseRoute("#/groups/7/-100123")).toEqual({ page: "group", botId: 7, chatId: -100123 });
    expect(parseRoute("#/bots/7")).toEqual({ page: "bot", botId: 7 });
    expect(parseRoute("#/events?bot_id=1")).toEqual({ page: "events" });
    expect(parseRoute("#/groups/x/1").page).toBe("not-found");
    expect(href({ page: "group", botId: 1, chatId: -2 })).toBe("#/groups/1/-2");
  });
});

describe("config", () => {
  it("validates URLs and narrows connect-src to the stage's origins", () => {
    const config = parseConfig({ apiUrl: "https://api.example/prod/", websocketUrl: "wss://ws.example/prod", loginBotUsername: "@bot", stage: "prod" });
    expect(config.apiUrl).toBe("https://api.example/prod");
    expect(config.loginBotUsername).toBe("bot");
    expect(connectSources(config)).toBe("'self' https://api.example wss://ws.example");
    expect(() => parseConfig({ apiUrl: "javascript:x", websocketUrl: "wss://x" })).toThrow(/apiUrl/);
  });
  it("resolves the system theme", () => {
    expect(resolveTheme("system", true)).toBe("dark");
    expect(resolveTheme("light", true)).toBe("light");
  });
});
