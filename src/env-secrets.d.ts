// Secrets are not in wrangler.toml (they are set with `wrangler secret put`, or written to .dev.vars
// by `npm start` for local runs), so `wrangler types` cannot see them.
declare namespace Cloudflare {
  interface Env {
    /** HMAC key for time-limited document URLs. */
    SIGNING_SECRET: string;
    /** Shared secret that signs messages between the Worker and the origin gateway. */
    GATEWAY_SECRET?: string;
    /** AES-256-GCM key (base64 of 32 bytes) that encrypts webhook secrets at rest. */
    WEBHOOK_ENCRYPTION_KEY: string;
  }
}
