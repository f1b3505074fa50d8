/** The CLI's configuration (flags over EDGEFAX_API_KEY / EDGEFAX_BASE_URL), its output, and errors as exit codes. */
import { ConnectionError, ProblemError } from "../errors.js";
import { Edgefax } from "../node.js";
import { EXIT, UsageError } from "./exit-codes.js";
import type { Flags } from "./main.js";
import { createOutput, type Output } from "./output.js";

export interface CliContext {
  out: Output;
  client: () => Edgefax;
  baseUrl: string;
}

export function createContext(flags: Flags): CliContext {
  const out = createOutput({ json: Boolean(flags.json) });
  const apiKey = (flags["api-key"] as string | undefined) ?? process.env.EDGEFAX_API_KEY;
  const baseUrl = (flags["base-url"] as string | undefined) ?? process.env.EDGEFAX_BASE_URL ?? "https://api.edgefax.dev";
  let client: Edgefax | undefined;
  return {
    out,
    baseUrl,
    client: () => {
      if (!apiKey) throw new UsageError("no API key: set EDGEFAX_API_KEY or pass --api-key (npm start prints how to make one: npm run key:create).");
      return (client ??= new Edgefax({ apiKey, baseUrl }));
    },
  };
}

export function exitCodeOf(error: unknown, out: Output): number {
  if (error instanceof ProblemError) {
    if (out.json) out.data({ error: error.problem });
    else out.note(`error: ${error.code}: ${error.detail}\n  next: ${error.next}\n  request_id: ${error.request_id}`);
    return error.status >= 500 || error.status === 429 ? EXIT.unavailable : EXIT.refused;
  }
  if (error instanceof ConnectionError) {
    out.note(`error: ${error.message}`);
    return EXIT.unavailable;
  }
  out.note(`error: ${(error as Error)?.stack ?? String(error)}`);
  return EXIT.unavailable;
}
