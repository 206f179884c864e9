// The run-time configuration: config.json next to index.html (generated per stage).

export interface DashboardConfig {
  apiUrl: string;
  websocketUrl: string;
  loginBotUsername: string;
  stage: string;
}

/** Validates a parsed config.json; throws with the field that is wrong. */
export function parseConfig(data: unknown): DashboardConfig {
  if (!data || typeof data !== "object") throw new Error("config.json is not a JSON object");
  const raw = data as Record<string, unknown>;
  const apiUrl = raw.apiUrl;
  const websocketUrl = raw.websocketUrl;
  if (typeof apiUrl !== "string" || !/^https?:\/\//.test(apiUrl)) throw new Error("config.json: apiUrl must be an http(s) URL");
  if (typeof websocketUrl !== "string" || !/^wss?:\/\//.test(websocketUrl)) {
    throw new Error("config.json: websocketUrl must be a ws(s) URL");
  }
  return {
    apiUrl: apiUrl.replace(/\/+$/, ""),
    websocketUrl: websocketUrl.replace(/\/+$/, ""),
    loginBotUsername: typeof raw.loginBotUsername === "string" ? raw.loginBotUsername.replace(/^@/, "") : "",
    stage: typeof raw.stage === "string" ? raw.stage : "",
  };
}

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<DashboardConfig> {
  const response = await fetchImpl("./config.json", { cache: "no-store", credentials: "omit" });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  return parseConfig(await response.json());
}

/**
 * The connect-src list of the run-time CSP: the page's own origin plus exactly the API and
 * websocket origins of this stage (index.html's static policy is wider because one build
 * serves every stage; the browser enforces both, so the narrower one wins).
 */
export function connectSources(config: DashboardConfig): string {
  const origins = [config.apiUrl, config.websocketUrl].map((u) => new URL(u).origin);
  return ["'self'", ...new Set(origins)].join(" ");
}
