/**
 * D1 schema: the metadata the API reads and lists. A fax's row is a projection written by its
 * FaxObject (the only writer of fax state); every query carries `account_id` for tenant isolation.
 * Row types come from here (`typeof faxes.$inferSelect`), never from hand-written interfaces.
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
  },
  (t) => [
    // A number belongs to at most one account at a time.
    uniqueIndex("numbers_active").on(t.number).where(sql`released_at IS NULL`),
    index("numbers_account").on(t.accountId),
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
  },
  (t) => [
    index("faxes_account_id").on(t.accountId, t.id),
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
  },
  (t) => [index("fax_events_fax").on(t.accountId, t.faxId, t.id)],
);
