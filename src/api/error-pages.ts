/** /errors and /errors/{code}: the catalog as pages (HTML for people, JSON for programs). */
import { catalogEntries, findCatalogEntry, type CatalogEntry } from "../errors/catalog";
import { ApiError } from "../errors/api-error";
import type { App } from "./context";

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .25rem}td,th{text-align:left;padding:.25rem .5rem;vertical-align:top}</style>
</head><body>${body}</body></html>`;
}

function row(e: CatalogEntry): string {
  return `<tr><td><a href="/errors/${escape(e.code)}"><code>${escape(e.code)}</code></a></td><td>${e.status ?? "fax error"}</td><td>${escape(e.title)}</td></tr>`;
}

export function registerErrorPages(app: App): void {
  app.get("/errors", (c) => {
    const entries = catalogEntries();
    if (!c.req.header("accept")?.includes("text/html")) return c.json({ data: entries });
    return c.html(
      page(
        "Error codes",
        `<h1>Error codes</h1><p>Request errors come as RFC 9457 problem+json; fax errors appear in a fax's <code>error</code>.</p><table><tr><th>code</th><th>status</th><th>meaning</th></tr>${entries.map(row).join("")}</table>`,
      ),
    );
  });

  app.get("/errors/:code", (c) => {
    const entry = findCatalogEntry(c.req.param("code"));
    if (!entry) throw new ApiError("request.not_found", { detail: `No error code ${c.req.param("code")}.` });
    if (!c.req.header("accept")?.includes("text/html")) return c.json(entry);
    return c.html(
      page(
        entry.code,
        `<p><a href="/errors">All error codes</a></p><h1><code>${escape(entry.code)}</code></h1><p><strong>${escape(entry.title)}</strong></p>
<p>${entry.status ? `HTTP status ${entry.status}.` : `A fax failure${entry.retryable ? ", retried automatically" : ", not retried"}.`}</p><h2>What to do next</h2><p>${escape(entry.next)}</p>`,
      ),
    );
  });
}
