#!/usr/bin/env node
/**
 * `edgefax`: the API from a shell. Start-up stays small: this file imports only node:util, and each command
 * loads its own module (the offline tools, with PDFium inside, only for `render`).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EXIT, UsageError } from "./exit-codes.js";

export const USAGE = `usage: edgefax <command> [options]

commands:
  send FILE… --to NUMBER [--from N] [--cover-to NAME] [--cover-subject TEXT] [--cover-message TEXT]
             [--cover JSON] [--header TEXT] [--resolution fine|standard] [--metadata K=V]… [--watch]
  status FAX_ID                    the fax now (--watch: follow it to its result)
  list [--status S] [--direction outbound|inbound] [--to N] [--limit N] [--all]
  receive --out DIR [--follow]     download received faxes (PDF) into DIR; --follow waits for new ones
  webhooks listen --forward URL [--secret whsec_…] [--types fax.delivered,…]
                                   the account's events, re-signed and POSTed to URL (Standard Webhooks)
  render IN.pdf OUT.tif [options]  PDF → TIFF-F offline, as the API renders (render --help)
  codec encode|decode …            the T.4/T.6 codec offline (PBM ⇄ TIFF-F)

options:
  --api-key KEY     or EDGEFAX_API_KEY
  --base-url URL    or EDGEFAX_BASE_URL (default https://api.edgefax.dev; npm start serves http://127.0.0.1:8787)
  --json            one JSON document per line, for scripts
  --version, --help

exit codes: 0 done (delivered) · 1 fax failed or canceled · 2 usage or configuration · 3 the API refused (4xx)
            · 4 API unreachable or failing (network, 5xx) · 130 interrupted`;

const COMMON: NonNullable<ParseArgsConfig["options"]> = {
  "api-key": { type: "string" },
  "base-url": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

const COMMAND_OPTIONS: Record<string, NonNullable<ParseArgsConfig["options"]>> = {
  send: {
    to: { type: "string" },
    from: { type: "string" },
    cover: { type: "string" },
    "cover-to": { type: "string" },
    "cover-from": { type: "string" },
    "cover-subject": { type: "string" },
    "cover-message": { type: "string" },
    header: { type: "string" },
    resolution: { type: "string" },
    metadata: { type: "string", multiple: true },
    "idempotency-key": { type: "string" },
    watch: { type: "boolean", short: "w" },
  },
  status: { watch: { type: "boolean", short: "w" } },
  list: { status: { type: "string" }, direction: { type: "string" }, to: { type: "string" }, limit: { type: "string" }, all: { type: "boolean" } },
  receive: { out: { type: "string", short: "o" }, follow: { type: "boolean", short: "f" } },
  webhooks: { forward: { type: "string" }, secret: { type: "string" }, types: { type: "string" } },
};

export type Flags = Record<string, string | boolean | string[] | undefined>;

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "render" || command === "codec") {
    const { runTool } = await import("./tools.js");
    return runTool(command, rest);
  }
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === "--version") {
    const { SDK_VERSION } = await import("../http.js");
    console.log(SDK_VERSION);
    return EXIT.ok;
  }
  const own = COMMAND_OPTIONS[command];
  if (!own) {
    console.error(`edgefax: unknown command "${command}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...COMMON, ...own }, allowPositionals: true }) as typeof parsed;
  } catch (error) {
    console.error(`edgefax ${command}: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { createContext, exitCodeOf } = await import("./context.js");
  const context = createContext(parsed.values);
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  try {
    const commands = await import("./commands.js");
    return await commands.dispatch(command, parsed.positionals, parsed.values, context, abort.signal);
  } catch (error) {
    if (abort.signal.aborted) {
      context.out.settle();
      return EXIT.interrupted;
    }
    if (error instanceof UsageError) {
      context.out.note(`edgefax ${command}: ${error.message}`);
      return EXIT.usage;
    }
    return exitCodeOf(error, context.out);
  }
}

const code = await run(process.argv.slice(2));
process.exitCode = code;
