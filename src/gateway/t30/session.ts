/**
 * One T.30 session: builds the engine (engine.ts) for the options, loads the page codec unless the
 * caller brought one, and starts the call. The procedure itself is the transition table in
 * table.ts and the phase handlers in negotiation.ts, non-ecm.ts and ecm.ts.
 */
import { Engine } from "./engine.js";
import { loadCodecCoder } from "./page-coding.js";
import type { T30Options, T30Session } from "./types.js";

export { T1_MS, T2_MS, T4_MS, T5_MS } from "./limits.js";
export type { T30Signal, T30State } from "./table.js";

export function runSession(opts: T30Options): T30Session {
  const engine = new Engine(opts);
  const coder = opts.coder ? Promise.resolve(opts.coder) : loadCodecCoder();
  coder.then(
    (c) => engine.start(c),
    (err: unknown) => engine.abortBeforeStart(`Page codec unavailable: ${(err as Error).message}`),
  );
  return { outcome: engine.outcome, abort: (reason) => engine.abort(reason) };
}
