// Module hooks for worker-modules.mjs (they run on the loader thread).
const DURABLE_OBJECT = "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }";

export async function resolve(specifier, context, next) {
  if (specifier === "cloudflare:workers") return { url: `data:text/javascript,${encodeURIComponent(DURABLE_OBJECT)}`, shortCircuit: true };
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith(".wasm")) return next(url, context);
  const source = `import { readFileSync } from "node:fs"; export default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));`;
  return { format: "module", source, shortCircuit: true };
}
