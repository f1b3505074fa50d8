/**
 * D1 schema: the metadata the API reads and lists. A fax's row is a projection written by its
 * FaxObject (the only writer of fax state); every query carries `account_id` for tenant isolation.
 * Row types come from here (`typeof faxes.$inferSelect`), never from hand-written interfaces.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A webhook delivery's status; the API's Delivery schema and its filter derive from this one list. */
export const DELIVERY_STATUSES = ["pending", "succeeded", "failed", "exhausted"] as const;

/** What an API key may do (src/api/middleware/scopes.ts holds the route table): full ⊃ send ⊃ read. */
export const API_KEY_SCOPES = ["full", "send", "read"] as const;

/** A partner number's tier (issue 15); what each includes is src/partners/tiers.ts's table. */
export const NUMBER_TIERS = ["personal", "business"] as const;

export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: text("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    /** SHA-256 of the whole key, hex: the key itself is shown once and never stored. */
    keyHash: text("key_hash").notNull(),
    /** First characters of the key, to tell keys apart in listings. */
    keyPrefix: text("key_prefix").notNull(),
    rateLimitPerMinute: integer("rate_limit_per_minute"),
    createdAt: text("created_at").notNull(),
    revokedAt: text("revoked_at"),
    // Audit (issue 17, migration 0006): keys as a resource, with a name and a scope (src/api/middleware/scopes.ts).
    name: text("name"),
    scope: text("scope", { enum: API_KEY_SCOPES }).notNull().default("full"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash), index("api_keys_account").on(t.accountId)],
);

/** OAuth 2.0 client-credentials access tokens (RFC 6749 §4.4), stored as hashes like keys. */
export const accessTokens = sqliteTable(
  "access_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    keyId: text("key_id").notNull().references(() => apiKeys.id),
    accountId: text("account_id").notNull(),
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [index("access_tokens_expiry").on(t.expiresAt)],
);

export const numbers = sqliteTable(
  "numbers",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    number: text("number").notNull(),
    label: text("label"),
    createdAt: text("created_at").notNull(),
    releasedAt: text("released_at"),
    /** Inbound (migration 0007): the number's own extraction schema (JSON), used instead of the account's. */
    extractionSchema: text("extraction_schema"),
    /** Partners (issue 15): the partner's user this number is dedicated to, and its tier (src/partners/tiers.ts). */
    externalUserId: text("external_user_id"),
    tier: text("tier", { enum: NUMBER_TIERS }),
    /** A released number still routes calls to its former holder until then (the release grace period). */
    routesUntil: text("routes_until"),
    /** Partners (migration 0010): the user record (external_users.id) the number is dedicated to; an external_user_id can be reused, this cannot. */
    userId: text("user_id"),
  },
  (t) => [
    // A number belongs to at most one account at a time.
    uniqueIndex("numbers_active").on(t.number).where(sql`released_at IS NULL`),
    index("numbers_account").on(t.accountId),
    index("numbers_external_user").on(t.accountId, t.externalUserId).where(sql`released_at IS NULL`),
    index("numbers_released").on(t.number, t.releasedAt),
  ],
);

export const faxes = sqliteTable(
  "faxes",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    direction: text("direction", { enum: ["outbound", "inbound"] }).notNull(),
    status: text("status").notNull(),
    to: text("to").notNull(),
    from: text("from").notNull(),
    pageCount: integer("page_count").notNull().default(0),
    pagesSent: integer("pages_sent").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    nextAttemptAt: text("next_attempt_at"),
    sendAt: text("send_at"),
    errorCode: text("error_code"),
    /** Bumped by the FaxObject on every change, so a late write never overwrites a newer one. */
    version: integer("version").notNull().default(0),
    /** The stored document's R2 key; null once the retention purge removed it. */
    documentKey: text("document_key"),
    /** The whole fax as the API shows it (JSON), so reads need no second lookup. */
    body: text("body").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    completedAt: text("completed_at"),
    /** Partners (issue 15): the user of the number the fax was sent from or received on. */
    externalUserId: text("external_user_id"),
    /** Partners (migration 0010): the user record (external_users.id) of that number, set once; scopes every per-user read. */
    userId: text("user_id"),
    /** Partners (migration 0010): when the user read the received fax (its inbox read state); null while unread. */
    readAt: text("read_at"),
  },
  (t) => [
    index("faxes_account_id").on(t.accountId, t.id),
    index("faxes_account_external_user").on(t.accountId, t.externalUserId, t.id),
    index("faxes_account_user").on(t.accountId, t.userId, t.id),
    index("faxes_account_status").on(t.accountId, t.status, t.id),
    index("faxes_status_updated").on(t.status, t.updatedAt),
  ],
);

/** Every event a fax emitted, in order: the timeline and the source of webhooks. */
export const faxEvents = sqliteTable(
  "fax_events",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    faxId: text("fax_id").notNull(),
    type: text("type").notNull(),
    createdAt: text("created_at").notNull(),
    data: text("data").notNull(),
    /** When the webhooks consumer fanned the event out to its deliveries; null until then (the cron re-enqueues). */
    publishedAt: text("published_at"),
    /** 1, 2, 3… in the fax's emission order (events: issue 13 point 4); null for events stored before it existed. */
    sequence: integer("sequence"),
  },
  (t) => [
    index("fax_events_fax").on(t.accountId, t.faxId, t.id),
    index("fax_events_unpublished").on(t.createdAt).where(sql`published_at IS NULL`),
    index("fax_events_sequence").on(t.faxId, t.sequence),
  ],
);

/**
 * Events: the account-level outbox, for events not tied to a fax (number.provisioned, number.released,
 * balance.low, usage.tier_limit_reached). Written in the same D1 batch as the change it reports, then
 * published like fax events; the cron re-publishes rows left unpublished.
 */
export const accountEvents = sqliteTable(
  "account_events",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    /** The mode whose key caused it (test or live); null when it concerns both. */
    mode: text("mode", { enum: ["test", "live"] }),
    type: text("type").notNull(),
    createdAt: text("created_at").notNull(),
    data: text("data").notNull(),
    publishedAt: text("published_at"),
  },
  (t) => [
    index("account_events_account").on(t.accountId, t.id),
    index("account_events_unpublished").on(t.createdAt).where(sql`published_at IS NULL`),
  ],
);

/** Webhook endpoints (docs/architecture.md "Conventions": Standard Webhooks v1). Secrets are AES-GCM encrypted at rest. */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    url: text("url").notNull(),
    description: text("description"),
    /** JSON array of event types from the catalog, or ["*"] for every type. */
    eventTypes: text("event_types").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** Why the platform disabled the endpoint (e.g. the receiver answered 410 Gone); null when a user did. */
    disabledReason: text("disabled_reason"),
    secret: text("secret").notNull(),
    /** The secret before the last rotation: it keeps signing beside the new one until it expires. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: text("previous_secret_expires_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    deletedAt: text("deleted_at"),
    // webhook mode (migration 0017): an endpoint receives only its mode's events.
    mode: text("mode", { enum: ["test", "live"] }).notNull().default("live"),
    /** The row id the secrets' ciphertexts are bound to, when it is not this row's (a copy made by migration 0017). */
    secretOwner: text("secret_owner"),
  },
  (t) => [index("webhook_endpoints_account").on(t.accountId, t.id)],
);

/** Account-level secrets: the one that signs deliveries to a fax's own webhook_url. */
export const accountSecrets = sqliteTable("account_secrets", {
  accountId: text("account_id").primaryKey().references(() => accounts.id),
  callbackSecret: text("callback_secret").notNull(),
  previousCallbackSecret: text("previous_callback_secret"),
  previousCallbackSecretExpiresAt: text("previous_callback_secret_expires_at"),
  /** Null until the secret was returned by the API once (it is created lazily by the first delivery). */
  revealedAt: text("revealed_at"),
  createdAt: text("created_at").notNull(),
  rotatedAt: text("rotated_at"),
});

/**
 * One message (an event for one endpoint, or for a fax's webhook_url). The id (msg_…) is derived
 * from (event id, target), so a duplicate enqueue finds the same row instead of making another.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    /** The endpoint, or null for a delivery to a fax's webhook_url. */
    endpointId: text("endpoint_id"),
    /** For a fax's webhook_url: the URL; endpoint deliveries use the endpoint's current URL. */
    url: text("url"),
    /**
     * The event's mode (src/events/event-mode.ts), null for an event of both modes. Callback deliveries (to a
     * fax's webhook_url) have no endpoint whose mode scopes them, so their log is filtered by this (migration 0018).
     */
    mode: text("mode", { enum: ["test", "live"] }),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The envelope exactly as sent: { id, type, created_at, data }. */
    payload: text("payload").notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextRetryAt: text("next_retry_at"),
    lastAttemptAt: text("last_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    /** When the dead-letter queue recorded the delivery's message after its last retry. */
    deadLetteredAt: text("dead_lettered_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("webhook_deliveries_endpoint").on(t.accountId, t.endpointId, t.id),
    index("webhook_deliveries_event").on(t.eventId),
    // The cron finds pending deliveries whose retry is long overdue (a lost queue message).
    index("webhook_deliveries_overdue").on(t.nextRetryAt).where(sql`status = 'pending'`),
  ],
);

/** Every HTTP attempt of a delivery: the delivery log. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    /** `${delivery id}.${attempt number}`: a repeated attempt record overwrites nothing. */
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    deliveryId: text("delivery_id").notNull(),
    number: integer("number").notNull(),
    url: text("url").notNull(),
    attemptedAt: text("attempted_at").notNull(),
    /** Null when no response came (timeout, connection error, refused URL). */
    statusCode: integer("status_code"),
    latencyMs: integer("latency_ms").notNull(),
    /** The first 1 KB of the response body, or why there was no response. */
    responseExcerpt: text("response_excerpt"),
    error: text("error"),
    nextRetryAt: text("next_retry_at"),
  },
  (t) => [index("webhook_attempts_delivery").on(t.accountId, t.deliveryId, t.number)],
);

// ---- partners (issue 15): account settings ----

/**
 * An account's defaults (GET/PATCH /v1/settings). No row means every default. The webhook_url shortcut
 * is the default endpoint's own URL (webhook_endpoints), so it is stored once, there.
 */
export const accountSettings = sqliteTable("account_settings", {
  accountId: text("account_id").primaryKey().references(() => accounts.id),
  /** The endpoint the webhook_url shortcut created (subscribed to every event); null when none. */
  defaultWebhookEndpointId: text("default_webhook_endpoint_id"),
  /** Days a finished fax keeps its files; null follows the platform's RETENTION_DAYS. */
  retentionDays: integer("retention_days"),
  lowBalanceThreshold: integer("low_balance_threshold").notNull().default(10),
  /** JSON Schema (text) for extraction of inbound faxes; validated by src/inbound. */
  extractionSchema: text("extraction_schema"),
  extractionSchemaVersion: integer("extraction_schema_version").notNull().default(0),
  updatedAt: text("updated_at").notNull(),
  // webhook mode (migration 0017): defaultWebhookEndpointId is the live mode's default endpoint, this the test mode's.
  defaultTestWebhookEndpointId: text("default_test_webhook_endpoint_id"),
});

// Audit (issue 17, migration 0006): the hash-chained log, its outbox and the daily signed checkpoints.

/** One entry of an account's chain; `line` is the entry exactly as hashed and exported (canonical JSON). */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    seq: integer("seq").notNull(),
    occurredAt: text("occurred_at").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    line: text("line").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    uniqueIndex("audit_events_chain").on(t.accountId, t.seq),
    index("audit_events_action").on(t.accountId, t.action, t.seq),
    index("audit_events_actor").on(t.accountId, t.actorId, t.seq),
    index("audit_events_target").on(t.accountId, t.targetId, t.seq),
    index("audit_events_time").on(t.accountId, t.occurredAt),
  ],
);

/** Entries recorded but not yet appended to their chain: the cron hands them to the AuditLogObject again. */
export const auditOutbox = sqliteTable(
  "audit_outbox",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    /** The entry without seq and hashes (JSON). */
    intent: text("intent").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("audit_outbox_created").on(t.createdAt)],
);

/** The last signed checkpoint of each account's chain head (the signed file itself is in R2 at object_key). */
export const auditCheckpoints = sqliteTable("audit_checkpoints", {
  accountId: text("account_id").primaryKey(),
  day: text("day").notNull(),
  seq: integer("seq").notNull(),
  hash: text("hash").notNull(),
  objectKey: text("object_key").notNull(),
  createdAt: text("created_at").notNull(),
});

// ---- billing (issue 16): the credit ledger, purchases of credit bundles, monthly statements ----

export const CREDIT_TRANSACTION_KINDS = ["purchase", "reserve", "settle", "refund", "grant", "adjustment"] as const;

/**
 * The credit ledger: append-only, one row per change, each with the balance it leaves. The balance is the
 * newest row's balance_after (and the sum of every amount); rows are never updated. One writer per
 * (account, mode), the LedgerObject, appends them; the unique seq makes a second writer fail, not fork.
 */
export const creditTransactions = sqliteTable(
  "credit_transactions",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    seq: integer("seq").notNull(),
    kind: text("kind", { enum: CREDIT_TRANSACTION_KINDS }).notNull(),
    /** Credits added (positive) or taken (negative). */
    amount: integer("amount").notNull(),
    balanceAfter: integer("balance_after").notNull(),
    faxId: text("fax_id"),
    purchaseId: text("purchase_id"),
    /** For a settle: the pages charged in the end. */
    pages: integer("pages"),
    /** What the change is for, unique per account and mode, so a repeated request never books twice. */
    reference: text("reference").notNull(),
    description: text("description").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("credit_transactions_seq").on(t.accountId, t.mode, t.seq),
    uniqueIndex("credit_transactions_reference").on(t.accountId, t.mode, t.reference),
    index("credit_transactions_fax").on(t.accountId, t.faxId),
    index("credit_transactions_created").on(t.accountId, t.mode, t.createdAt),
  ],
);

/** A bundle bought through a payment provider: pending until paid, then booked once as a `purchase` transaction. */
export const creditPurchases = sqliteTable(
  "credit_purchases",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    bundle: text("bundle").notNull(),
    credits: integer("credits").notNull(),
    /** Minor units (cents) of `currency`. */
    price: integer("price").notNull(),
    currency: text("currency").notNull(),
    provider: text("provider", { enum: ["test", "manual", "stripe"] }).notNull(),
    status: text("status", { enum: ["pending", "completed"] }).notNull(),
    /** The provider's id for it (a Stripe Checkout Session id). */
    providerRef: text("provider_ref"),
    checkoutUrl: text("checkout_url"),
    createdAt: text("created_at").notNull(),
    completedAt: text("completed_at"),
  },
  (t) => [index("credit_purchases_account").on(t.accountId, t.id), uniqueIndex("credit_purchases_provider_ref").on(t.provider, t.providerRef)],
);

/** A closed month's statement; the current month is computed when asked and stored when the cron closes it. */
export const invoices = sqliteTable(
  "invoices",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    /** The month, YYYY-MM (UTC). */
    period: text("period").notNull(),
    status: text("status", { enum: ["open", "paid", "past_due"] }).notNull(),
    currency: text("currency").notNull(),
    total: integer("total").notNull(),
    amountPaid: integer("amount_paid").notNull(),
    /** The statement's lines as the API shows them (JSON). */
    lines: text("lines").notNull(),
    createdAt: text("created_at").notNull(),
    dueAt: text("due_at").notNull(),
    paidAt: text("paid_at"),
  },
  (t) => [uniqueIndex("invoices_period").on(t.accountId, t.mode, t.period), index("invoices_status_due").on(t.status, t.dueAt)],
);

// ---- billing: statement payments (issue 16, migration 0009) ----
/** A way a statement was or is being paid: the operator's record (manual), a Stripe Checkout Session, or test mode. */
export const invoicePayments = sqliteTable(
  "invoice_payments",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    invoiceId: text("invoice_id").notNull().references(() => invoices.id),
    provider: text("provider", { enum: ["test", "manual", "stripe"] }).notNull(),
    status: text("status", { enum: ["pending", "paid"] }).notNull(),
    /** Minor units (cents) of `currency`: the amount due when the payment was opened. */
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    /** The provider's id for it (a Stripe Checkout Session id). */
    providerRef: text("provider_ref"),
    checkoutUrl: text("checkout_url"),
    /** The operator's note (a bank transfer's reference). */
    note: text("note"),
    createdAt: text("created_at").notNull(),
    paidAt: text("paid_at"),
  },
  (t) => [index("invoice_payments_invoice").on(t.accountId, t.invoiceId), uniqueIndex("invoice_payments_provider_ref").on(t.provider, t.providerRef)],
);

// ---- inbound intelligence (issue 14, migration 0007) ----

/** The OCR result of one received page; the pipeline writes each page once, so a redelivered job skips it. */
export const faxPageTexts = sqliteTable(
  "fax_page_texts",
  {
    accountId: text("account_id").notNull(),
    faxId: text("fax_id").notNull(),
    page: integer("page").notNull(),
    /** `retrying`: the OCR service could not take the page; a later job reads it again (issue 14 point 1). */
    status: text("status", { enum: ["done", "failed", "retrying"] }).notNull(),
    text: text("text").notNull(),
    confidence: real("confidence"),
    /** Below the engine's confidence threshold: shown, but not to be trusted without a look. */
    flagged: integer("flagged", { mode: "boolean" }).notNull().default(false),
    engine: text("engine").notNull(),
    error: text("error"),
    createdAt: text("created_at").notNull(),
    /** Readings so far (migration 0012). */
    attempts: integer("attempts").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.faxId, t.page] }), index("fax_page_texts_account").on(t.accountId, t.faxId, t.page)],
);

/**
 * `fax_text_index` is an FTS5 virtual table (account_id and fax_id UNINDEXED, then sender, remote_ident,
 * body), which drizzle cannot declare: src/db/fax-text-store.ts reads and writes it with bound SQL.
 */
export const FAX_TEXT_INDEX = "fax_text_index";

// ---- partners (issue 15): external users and monthly inbound usage per number ----

/** A partner's own user (external_user_id is the partner's id for it); numbers are dedicated to one. */
export const externalUsers = sqliteTable(
  "external_users",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    externalUserId: text("external_user_id").notNull(),
    name: text("name"),
    email: text("email"),
    /** JSON object of string pairs (the fax metadata limits). */
    metadata: text("metadata").notNull().default("{}"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    deletedAt: text("deleted_at"),
    /** Key mode (migration 0015): a user belongs to the mode of the key that created it, like its numbers and faxes. */
    mode: text("mode", { enum: ["test", "live"] }).notNull().default("test"),
  },
  (t) => [
    uniqueIndex("external_users_active").on(t.accountId, t.mode, t.externalUserId).where(sql`deleted_at IS NULL`),
    index("external_users_account").on(t.accountId, t.id),
  ],
);

/** Pages each received fax counted against its number's month (one row per fax, so a repeated upload counts once). */
export const numberInboundPages = sqliteTable(
  "number_inbound_pages",
  {
    faxId: text("fax_id").primaryKey(),
    accountId: text("account_id").notNull(),
    numberId: text("number_id").notNull(),
    /** Calendar month of the receipt, UTC: "2026-12". */
    month: text("month").notNull(),
    pages: integer("pages").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("number_inbound_pages_month").on(t.accountId, t.numberId, t.month)],
);

/** One row per number, month and tier whose allowance was reached: its key makes usage.tier_limit_reached fire once. */
export const numberTierAlerts = sqliteTable(
  "number_tier_alerts",
  {
    accountId: text("account_id").notNull(),
    numberId: text("number_id").notNull(),
    month: text("month").notNull(),
    tier: text("tier").notNull(),
    includedPages: integer("included_pages").notNull(),
    inboundPages: integer("inbound_pages").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.numberId, t.month, t.tier] })],
);

// ---- portal (issue 19): team members, emailed links, sessions ----

/** Roles of a team member; what each may do is the portal's permission table (src/portal/permissions.ts). */
export const MEMBER_ROLES = ["owner", "admin", "billing", "developer"] as const;

/** A person on an account's team. An email may be a member of several accounts, once each. */
export const portalMembers = sqliteTable(
  "portal_members",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull().references(() => accounts.id),
    /** Lower-cased. */
    email: text("email").notNull(),
    role: text("role", { enum: MEMBER_ROLES }).notNull(),
    createdAt: text("created_at").notNull(),
    removedAt: text("removed_at"),
  },
  (t) => [uniqueIndex("portal_members_active").on(t.accountId, t.email).where(sql`removed_at IS NULL`), index("portal_members_email").on(t.email)],
);

/**
 * A link emailed to someone: verify a sign-up, sign in, or accept an invitation. Single use (used_at),
 * short-lived (expires_at); only the SHA-256 of its token is stored.
 */
export const portalLinks = sqliteTable(
  "portal_links",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    purpose: text("purpose", { enum: ["signup", "signin", "invite"] }).notNull(),
    email: text("email").notNull(),
    /** signin and invite: the account; signup: null until the account exists. */
    accountId: text("account_id"),
    /** signin: the member signing in. */
    memberId: text("member_id"),
    /** invite: the role offered. */
    role: text("role", { enum: MEMBER_ROLES }),
    /** signup: the company name given. */
    companyName: text("company_name"),
    invitedBy: text("invited_by"),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
  },
  (t) => [uniqueIndex("portal_links_token").on(t.tokenHash), index("portal_links_account").on(t.accountId, t.purpose, t.id)],
);

/** Server-side sessions: the cookie holds a random token, this table its SHA-256; revoking a row ends it at once. */
export const portalSessions = sqliteTable(
  "portal_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    memberId: text("member_id").notNull(),
    accountId: text("account_id").notNull(),
    createdAt: text("created_at").notNull(),
    lastSeenAt: text("last_seen_at").notNull(),
    /** The absolute timeout: no activity extends a session past this. */
    expiresAt: text("expires_at").notNull(),
    revokedAt: text("revoked_at"),
    /** Public id (ses_…) for revoking one session from the sessions page (migration 0013). */
    id: text("id"),
    userAgent: text("user_agent"),
    /** The client's address cut to IPv4 /24 or IPv6 /48. */
    ipPrefix: text("ip_prefix"),
    /** The portal's test/live context for this browser: what its pages show and create. */
    mode: text("mode", { enum: ["test", "live"] }).notNull().default("test"),
  },
  (t) => [index("portal_sessions_member").on(t.memberId), uniqueIndex("portal_sessions_id").on(t.id)],
);

// ---- encryption (issue 17 point 4, migration 0014) ----

/**
 * The blind index of fax metadata: one row per pair of a fax, `hash` = HMAC-SHA-256 of (account, key, value)
 * under a key derived from DOCUMENT_ENCRYPTION_KEY (src/storage/fields.ts), so `metadata[key]=value` filters
 * without the values being stored in clear. `key_id` names the key, for re-indexing after a rotation.
 */
export const faxMetadataIndex = sqliteTable(
  "fax_metadata_index",
  {
    accountId: text("account_id").notNull(),
    faxId: text("fax_id").notNull(),
    keyId: text("key_id").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.hash, t.faxId] }), index("fax_metadata_index_fax").on(t.faxId)],
);

// ---- data-protection gaps (migration 0019) ----

/**
 * The blind index of external users' metadata (point 1), as fax_metadata_index is fax metadata's: one row per
 * pair of a user (external_users.id), `hash` an HMAC of (scope, account, key, value) (src/storage/fields.ts).
 */
export const externalUserMetadataIndex = sqliteTable(
  "external_user_metadata_index",
  {
    accountId: text("account_id").notNull(),
    userId: text("user_id").notNull(),
    keyId: text("key_id").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.hash, t.userId] }), index("external_user_metadata_index_user").on(t.userId)],
);

/** Idempotency-Key replies still kept (point 2), each in its own Durable Object: what documents:rewrap re-seals. */
export const idempotencyReplies = sqliteTable(
  "idempotency_replies",
  {
    accountId: text("account_id").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    /** The DOCUMENT_ENCRYPTION_KEY key id the stored reply is sealed under. */
    keyId: text("key_id").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.idempotencyKey] }), index("idempotency_replies_expires").on(t.expiresAt)],
);
