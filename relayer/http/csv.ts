// CSV exports (RFC 4180), streamed page by page: each page is one short database read, written out with
// back-pressure before the next is read, so an export of a million rows never holds a table in memory and
// never keeps other requests waiting on the database.
import type { Request, Response } from "express";

/** Whether the caller asked for CSV: `?format=csv` or `Accept: text/csv` (an explicit format=json wins). */
export function wantsCsv(req: Request, format: "json" | "csv" | undefined): boolean {
  if (format !== undefined) return format === "csv";
  return /\btext\/csv\b/i.test(req.get("accept") ?? "");
}

/**
 * One field. Quoted when it holds a comma, quote or line break; a text starting like a spreadsheet formula
 * (= + - @ tab) gets a leading apostrophe, so opening an export cannot run what a merchant typed in an order reference.
 */
export function csvField(value: string | number | bigint | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text) && !/^-?\d+$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvLine = (fields: readonly (string | number | bigint | boolean | null | undefined)[]): string => `${fields.map(csvField).join(",")}\r\n`;

export interface CsvPage<T, C> {
  rows: T[];
  /** Where the next page starts; undefined after the last page. */
  next: C | undefined;
}

/** Streams `columns` then every row of every page, starting at `first`. */
export async function streamCsv<T, C>(
  res: Response,
  options: {
    filename: string;
    columns: readonly string[];
    first: C | undefined;
    page: (after: C | undefined) => Promise<CsvPage<T, C>>;
    row: (item: T) => readonly (string | number | bigint | boolean | null | undefined)[];
  },
): Promise<void> {
  res.status(200);
  res.setHeader("Content-Type", "text/csv; charset=utf-8");
  res.setHeader("Content-Disposition", `attachment; filename="${options.filename}"`);
  res.setHeader("Cache-Control", "no-store");
  const write = async (chunk: string) => {
    if (res.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  };
  await write(csvLine(options.columns));
  let after = options.first;
  for (;;) {
    if (res.destroyed) return; // the client went away: stop reading pages
    const page = await options.page(after);
    if (page.rows.length > 0) await write(page.rows.map((item) => csvLine(options.row(item))).join(""));
    if (page.next === undefined) break;
    after = page.next;
  }
  res.end();
}
