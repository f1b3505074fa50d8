// Bindings the portal reads that wrangler.toml does not declare (so `wrangler types` cannot see them).
declare namespace Cloudflare {
  interface Env {
    /** Set only by `npm start` (scripts/local-worker.mjs): writes mail to the local outbox instead of sending it. */
    LOCAL_OUTBOX?: Fetcher;
  }
}
