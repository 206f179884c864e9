// Theme preference: light, dark or the system's; applied as <html data-theme> (no inline styles).
export type ThemeChoice = "light" | "dark" | "system";
const KEY = "nezuko.theme";

export function readTheme(storage: Pick<Storage, "getItem">): ThemeChoice {
  const value = storage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

export function resolveTheme(choice: ThemeChoice, systemDark: boolean): "light" | "dark" {
  return choice === "system" ? (systemDark ? "dark" : "light") : choice;
}

export function saveTheme(storage: Pick<Storage, "setItem" | "removeItem">, choice: ThemeChoice): void {
  if (choice === "system") storage.removeItem(KEY);
  else storage.setItem(KEY, choice);
}
