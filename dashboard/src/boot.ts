// Start-up shared by both pages: config, the run-time CSP, services.
import { connectSources, loadConfig, type DashboardConfig } from "./config";
import { createServices, type Services } from "./services";

/** Adds a second CSP (connect-src narrowed to this stage's API and websocket origins). */
export function narrowCsp(config: DashboardConfig): void {
  const meta = document.createElement("meta");
  meta.httpEquiv = "Content-Security-Policy";
  meta.content = `connect-src ${connectSources(config)}`;
  document.head.append(meta);
}

export async function boot(): Promise<Services> {
  const config = await loadConfig();
  narrowCsp(config);
  return createServices(config, localStorage);
}

/** A plain message in place of the app (before Preact is up), as text. */
export function showMessage(root: HTMLElement, title: string, text: string, link?: { href: string; label: string }): void {
  root.replaceChildren();
  const box = document.createElement("div");
  box.className = "boot-message";
  box.setAttribute("role", "alert");
  const h = document.createElement("h1");
  h.textContent = title;
  const p = document.createElement("p");
  p.textContent = text;
  box.append(h, p);
  if (link) {
    const a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.label;
    a.className = "btn btn-primary";
    box.append(a);
  }
  root.append(box);
}
