/** The API commands of the CLI: send, status, list, receive, webhooks listen. */
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SendFaxParams } from "../resources/faxes.js";
import type { CoverPage, Fax, FaxEvent } from "../types.js";
import type { CliContext } from "./context.js";
import { EXIT, UsageError } from "./exit-codes.js";
import type { Flags } from "./main.js";
import { faxOf, failureLine, progressLine, summaryLine } from "./progress.js";

type Command = (positionals: string[], flags: Flags, context: CliContext, signal: AbortSignal) => Promise<number>;

const str = (flags: Flags, name: string) => flags[name] as string | undefined;

function coverPage(flags: Flags): CoverPage | undefined {
  let cover: Record<string, string> = {};
  const json = str(flags, "cover");
  if (json !== undefined) {
    try {
      cover = JSON.parse(json) as Record<string, string>;
    } catch {
      throw new UsageError(`--cover must be JSON, e.g. '{"to_name":"Dr. Rivera","subject":"Referral"}' (or use --cover-to, --cover-subject, --cover-message)`);
    }
  }
  for (const field of ["to", "from", "subject", "message"]) {
    const value = str(flags, `cover-${field}`);
    if (value !== undefined) cover[field === "to" || field === "from" ? `${field}_name` : field] = value;
  }
  return Object.keys(cover).length > 0 || json !== undefined ? (cover as CoverPage) : undefined;
}

function metadata(flags: Flags): Record<string, string> | undefined {
  const pairs = (flags.metadata as string[] | undefined) ?? [];
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf("=");
      if (at < 1) throw new UsageError(`--metadata takes KEY=VALUE, not "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** Follows a fax to its final event, showing progress; the exit code says how it ended. */
async function watch(fax: Fax, context: CliContext, signal: AbortSignal): Promise<number> {
  const { out } = context;
  let last: Fax = fax;
  for await (const event of context.client().faxes.watch(fax.id, { signal })) {
    last = faxOf(event) ?? last;
    if (out.json) out.data(event);
    else {
      const line = progressLine(event, { tty: out.tty });
      if (line) out.status(line);
    }
  }
  out.settle();
  if (out.json) out.data(last);
  return last.status === "delivered" || last.status === "received" ? EXIT.ok : EXIT.faxFailed;
}

const send: Command = async (files, flags, context, signal) => {
  const to = str(flags, "to");
  if (!to) throw new UsageError("--to NUMBER is required (E.164, e.g. +15550100001)");
  if (files.length === 0) throw new UsageError("name at least one file to send (PDF, PNG, JPEG or TIFF)");
  for (const file of files) if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const resolution = str(flags, "resolution");
  if (resolution !== undefined && resolution !== "fine" && resolution !== "standard") throw new UsageError("--resolution is fine or standard");
  const params: SendFaxParams = {
    to,
    from: str(flags, "from"),
    files,
    cover_page: coverPage(flags),
    header_text: str(flags, "header"),
    options: resolution ? { resolution } : undefined,
    metadata: metadata(flags),
  };
  const fax = await context.client().faxes.send(params, { idempotencyKey: str(flags, "idempotency-key"), signal });
  if (!flags.watch) {
    if (context.out.json) context.out.data(fax);
    else context.out.line(`${fax.id} ${fax.status}: ${fax.page_count ?? "?"} pages to ${fax.to} (follow it: edgefax status ${fax.id} --watch)`);
    return EXIT.ok;
  }
  if (!context.out.json) context.out.line(`${fax.id}: ${fax.page_count ?? "?"} pages to ${fax.to}`);
  return watch(fax, context, signal);
};

const status: Command = async ([faxId], flags, context, signal) => {
  if (!faxId) throw new UsageError("status FAX_ID");
  const fax = await context.client().faxes.get(faxId, { signal });
  if (flags.watch && !["delivered", "failed", "canceled", "received"].includes(fax.status)) return watch(fax, context, signal);
  if (context.out.json) context.out.data(fax);
  else {
    context.out.line(summaryLine(fax));
    if (fax.status === "failed") context.out.line(`  ${failureLine(fax)}`);
  }
  return fax.status === "failed" || fax.status === "canceled" ? EXIT.faxFailed : EXIT.ok;
};

const list: Command = async (_positionals, flags, context) => {
  const limit = str(flags, "limit");
  if (limit !== undefined && !/^\d+$/.test(limit)) throw new UsageError("--limit takes a number");
  const request = context.client().faxes.list({
    status: str(flags, "status") as Fax["status"] | undefined,
    direction: str(flags, "direction") as Fax["direction"] | undefined,
    to: str(flags, "to"),
    limit: limit ? Math.min(100, Number(limit)) : undefined,
  });
  const faxes = flags.all ? await request.toArray() : (await request).data.slice(0, limit ? Number(limit) : undefined);
  for (const fax of faxes) context.out.json ? context.out.data(fax) : context.out.line(summaryLine(fax));
  return EXIT.ok;
};

/** Writes a received fax's PDF into `dir` once (as FAX_ID.pdf, atomically); false when already there. */
async function download(faxId: string, dir: string, context: CliContext, signal: AbortSignal): Promise<boolean> {
  const file = join(dir, `${faxId}.pdf`);
  if (existsSync(file)) return false;
  const response = await context.client().faxes.image(faxId, { format: "pdf" }, { signal });
  await writeFile(`${file}.part`, new Uint8Array(await response.arrayBuffer()));
  await rename(`${file}.part`, file);
  return true;
}

const receive: Command = async (_positionals, flags, context, signal) => {
  const dir = str(flags, "out");
  if (!dir) throw new UsageError("--out DIR is required");
  await mkdir(dir, { recursive: true });
  const client = context.client();
  const report = async (faxId: string, from: string | null | undefined) => {
    if (!(await download(faxId, dir, context, signal))) return;
    if (context.out.json) context.out.data({ id: faxId, from, file: join(dir, `${faxId}.pdf`) });
    else context.out.line(`${faxId} from ${from ?? "unknown"} → ${join(dir, `${faxId}.pdf`)}`);
  };
  for await (const fax of client.received.list({ limit: 100 })) await report(fax.id, fax.from);
  if (!flags.follow) return EXIT.ok;
  context.out.note(`waiting for faxes (Ctrl-C to stop)…`);
  for await (const event of followReceived(context, signal)) {
    const fax = faxOf(event);
    if (fax) await report(fax.id, fax.from);
  }
  return EXIT.ok;
};

/** `fax.received` events from the account's stream; polling the received list where the stream is missing. */
async function* followReceived(context: CliContext, signal: AbortSignal): AsyncGenerator<FaxEvent> {
  const client = context.client();
  try {
    yield* client.events.stream({ types: ["fax.received"], signal });
    return;
  } catch (error) {
    if (!((error as { code?: string }).code === "request.not_found")) throw error;
  }
  for (;;) {
    for await (const fax of client.received.list({ limit: 100 })) {
      yield { id: `poll_${fax.id}`, type: "fax.received", created_at: fax.created_at, data: { fax } } as FaxEvent;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    signal.throwIfAborted();
  }
}

const webhooks: Command = async ([sub], flags, context, signal) => {
  if (sub !== "listen") throw new UsageError("webhooks listen --forward URL");
  const forward = str(flags, "forward");
  if (!forward || !/^https?:\/\//.test(forward)) throw new UsageError("--forward URL is required (e.g. http://localhost:3000/hooks)");
  const { signedWebhookHeaders } = await import("../webhook-signature.js");
  const secret = str(flags, "secret") ?? `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))))}`;
  const types = str(flags, "types")?.split(",").filter(Boolean) as FaxEvent["type"][] | undefined;
  context.out.note(`forwarding the account's events to ${forward}, signed with ${secret}\n(verify with this secret; Ctrl-C to stop)`);
  for await (const event of context.client().events.stream({ types, signal })) {
    const body = JSON.stringify(event);
    const headers = { "content-type": "application/json", "user-agent": "edgefax-cli", ...(await signedWebhookHeaders(secret, event.id, body)) };
    const started = Date.now();
    let result: string;
    let status: number | null = null;
    try {
      const response = await fetch(forward, { method: "POST", headers, body, signal });
      status = response.status;
      result = `${response.status}`;
      await response.body?.cancel();
    } catch (error) {
      if (signal.aborted) throw error;
      result = `failed: ${(error as Error).message}`;
    }
    if (context.out.json) context.out.data({ id: event.id, type: event.type, status, ms: Date.now() - started });
    else context.out.line(`${event.type.padEnd(16)} ${event.id}  → ${result} (${Date.now() - started} ms)`);
  }
  return EXIT.ok;
};

const COMMANDS: Record<string, Command> = { send, status, list, receive, webhooks };

export function dispatch(command: string, positionals: string[], flags: Flags, context: CliContext, signal: AbortSignal): Promise<number> {
  return COMMANDS[command]!(positionals, flags, context, signal);
}
