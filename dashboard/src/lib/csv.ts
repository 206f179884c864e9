// CSV helpers for the export: stitching pages and naming the file.

/** Joins CSV pages that each start with the same header line into one document. */
export function mergeCsvPages(pages: string[]): string {
  let header: string | null = null;
  const rows: string[] = [];
  for (const page of pages) {
    const lines = page.replace(/\r\n/g, "\n").split("\n").filter((line) => line !== "");
    if (lines.length === 0) continue;
    const [first, ...rest] = lines;
    if (header === null) header = first;
    else if (first !== header) rows.push(first);
    rows.push(...rest);
  }
  if (header === null) return "";
  return `${[header, ...rows].join("\r\n")}\r\n`;
}

/** Parses one CSV document (RFC 4180: quotes, doubled quotes, CRLF) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else {
      cell += ch;
    }
  }
  if (cell !== "" || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** `nezuko-events-2026-11-29T2130.csv` for a download made at `now`. */
export function csvFileName(kind: string, now: Date): string {
  const stamp = now.toISOString().slice(0, 16).replace(/:/g, "");
  return `nezuko-${kind}-${stamp}.csv`;
}
