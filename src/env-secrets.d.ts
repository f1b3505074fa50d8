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
    /** billing: signs the operator's credit grants (npm run credits:grant), Standard Webhooks style. */
    BILLING_ADMIN_SECRET?: string;
    /** billing, with PAYMENT_PROVIDER=stripe: the API key for Checkout Sessions and the webhook endpoint's signing secret. */
    STRIPE_SECRET_KEY?: string;
    STRIPE_WEBHOOK_SECRET?: string;
    /** Inbound (issue 14): signs the Worker's requests to the local OCR service. */
    OCR_SECRET?: string;
    /** Inbound: Workers AI, for OCR_PROVIDER=workers-ai (wrangler.toml [ai]). */
    AI?: Ai;
    /** Ed25519 seed (base64 of 32 bytes) that signs the audit log's daily checkpoints (issue 17). */
    AUDIT_SIGNING_KEY: string;
    /** Key-encryption keys for documents in R2 (issue 17): comma-separated base64 of 32 bytes, the first current. */
    DOCUMENT_ENCRYPTION_KEY: string;
  }
}
