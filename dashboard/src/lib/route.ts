// Hash routes (#/groups/123/-100…): work on S3 and any static host without rewrites.

export type Route =
  | { page: "overview" }
  | { page: "analytics" }
  | { page: "groups" }
  | { page: "group"; botId: number; chatId: number }
  | { page: "channels" }
  | { page: "bots" }
  | { page: "bot"; botId: number }
  | { page: "events" }
  | { page: "audit" }
  | { page: "settings" }
  | { page: "not-found"; path: string };

const ID = /^-?\d{1,20}$/;

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, "").split("?")[0];
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [head, a, b] = parts;
  switch (head) {
    case undefined:
    case "overview":
      return parts.length <= 1 ? { page: "overview" } : { page: "not-found", path };
    case "analytics":
    case "channels":
    case "events":
    case "audit":
    case "settings":
      return parts.length === 1 ? { page: head } : { page: "not-found", path };
    case "groups":
      if (parts.length === 1) return { page: "groups" };
      if (parts.length === 3 && ID.test(a) && ID.test(b)) return { page: "group", botId: Number(a), chatId: Number(b) };
      return { page: "not-found", path };
    case "bots":
      if (parts.length === 1) return { page: "bots" };
      if (parts.length === 2 && ID.test(a)) return { page: "bot", botId: Number(a) };
      return { page: "not-found", path };
    default:
      return { page: "not-found", path };
  }
}

export function href(route: Route): string {
  switch (route.page) {
    case "group":
      return `#/groups/${route.botId}/${route.chatId}`;
    case "bot":
      return `#/bots/${route.botId}`;
    case "not-found":
      return "#/";
    default:
      return `#/${route.page}`;
  }
}
