// Lets Node import the Worker's app in-process (for the OpenAPI document, with no network and no workerd):
// `cloudflare:workers` becomes a bare DurableObject base class and `*.wasm` imports compile the file, as
// wrangler's CompiledWasm rule does. Use: node --import ./sdk/scripts/worker-modules.mjs --import tsx FILE.ts
import { register } from "node:module";

register("./worker-modules-hooks.mjs", import.meta.url);
