/**
 * Node entry: loads wasm/build/codec.wasm with fs and compiles it at import time, so the first codec call pays
 * nothing. (index.ts also loads it lazily in Node; this entry just makes the cost and any error happen early.)
 */
import { readFileSync } from "node:fs";
import { compileCodec, initCodec } from "./engine.js";

initCodec(compileCodec(readFileSync(new URL("../../wasm/build/codec.wasm", import.meta.url))));

export * from "./index.js";
