/**
 * The import directions of docs/architecture.md ("Import directions"), checked by `npm run check:deps`
 * and in .ci/run. Layers, top to bottom:
 *   src/worker.ts (the Worker's entry) -> src/api, src/portal (routes and pages)
 *   -> domains: src/fax, src/webhooks, src/inbound, src/partners, src/billing, src/audit
 *   -> base: src/db, src/codec, src/lib, src/errors, src/events, src/contract, src/storage, src/config.ts
 * The gateway (src/gateway, a Node process at the origin) imports only codec, lib, errors and contract.
 * Each rule's comment is its failure message: it says what is wrong and where the code belongs.
 */
const DOMAINS = "(fax|webhooks|inbound|partners|billing|audit)";
const BASE = "(db|codec|lib|errors|events|contract|storage)";

module.exports = {
  forbidden: [
    {
      name: "base-imports-upper-layer",
      comment:
        "db, codec, lib, errors, events, contract, storage and config.ts are the base: they must not import routes, domains, the gateway or the entry. Move what they need down into the base, or pass it in as a parameter.",
      severity: "error",
      from: { path: [`^src/${BASE}/`, "^src/config\\.ts$"] },
      to: { path: [`^src/(api|portal|gateway)/`, `^src/${DOMAINS}/`, "^src/worker\\.ts$"] },
    },
    {
      name: "domain-imports-routes",
      comment:
        "A domain (fax, webhooks, inbound, partners, billing, audit) must not import routes (api, portal) or the entry: routes call domains, never the reverse. Move the shared code into the domain or the base.",
      severity: "error",
      from: { path: `^src/${DOMAINS}/` },
      to: { path: ["^src/(api|portal)/", "^src/worker\\.ts$"] },
    },
    {
      name: "worker-imports-gateway",
      comment:
        "The Worker (api, portal, domains, base) must not import the gateway: it is another process. Shared messages belong in src/contract/.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/gateway/" },
      to: { path: "^src/gateway/" },
    },
    {
      name: "gateway-imports-outside-its-layers",
      comment:
        "The gateway imports only src/codec, src/lib, src/errors and src/contract (never api, db or a domain). Messages shared with the Worker belong in src/contract/.",
      severity: "error",
      from: { path: "^src/gateway/" },
      to: { path: "^src/", pathNot: "^src/(gateway|codec|lib|errors|contract)/" },
    },
    {
      name: "worker-imports-local-ocr-engine",
      comment:
        "src/inbound/local-engine is the offline OCR service, a Node process (tesseract.js): Worker code must not import it (the Worker bundle would outgrow the free plan's 3 MiB). Reach it over HTTP (src/inbound/local-ocr.ts); share messages through src/contract/ocr.ts.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/inbound/local-engine/" },
      to: { path: ["^src/inbound/local-engine/", "node_modules/tesseract\\.js"] },
    },
    {
      name: "contract-imports-beyond-lib",
      comment: "src/contract holds the messages both sides share; it imports only src/lib and src/errors (and zod), so both sides can import it.",
      severity: "error",
      from: { path: "^src/contract/" },
      to: { path: "^src/", pathNot: "^src/(contract|lib|errors)/" },
    },
    {
      name: "src-imports-tooling",
      comment: "Code in src/ must not import tests, scripts or benchmarks; move what both need into src/.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|scripts|bench)/" },
    },
    {
      name: "folder-cycle",
      comment: "Two folders import each other: pick the lower one and move what it needs from the upper one down into it.",
      severity: "error",
      scope: "folder",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "module-cycle",
      comment:
        "Modules import each other at run time in a cycle: split out what both need into a module that neither imports. (Cycles made only of type imports are allowed: they vanish when compiled.)",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "unresolvable-import",
      comment: "This import resolves to no file: fix the path (or add the package to package.json).",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, pathNot: "^cloudflare:" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["^wasm/build/", "\\.d\\.ts$"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
  },
};
