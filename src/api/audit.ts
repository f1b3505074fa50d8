/**
 * Recording from a route: `audit(c, action, target)` after the change succeeded (the catalog is
 * src/audit/catalog.ts). The entry carries the caller's key, the request id, the client's address and
 * user agent; it is written after the response (src/audit/recorder.ts), so it never delays or fails it.
 */
import type { Context } from "hono";
import type { AuditAction, AuditActorType, AuditTargetType } from "../audit/catalog";
import { recordAudit, recordAudits, type AuditScope } from "../audit/recorder";
import type { AppEnv } from "./context";

type Target = { type: AuditTargetType; id: string | null };

export function audit(c: Context<AppEnv>, action: AuditAction, target: Target): void {
  const caller = c.get("caller");
  auditAs(c, caller.accountId, { type: "api_key", id: caller.keyId }, action, target);
}

/** For routes without an authenticated caller (a signed URL, the OAuth token endpoint). */
export function auditAs(c: Context<AppEnv>, accountId: string, actor: { type: AuditActorType; id: string | null }, action: AuditAction, target: Target): void {
  recordAudit(auditScope(c, accountId, actor), action, target);
}

/** fax.read_extraction for each fax whose extracted fields the response shows (src/audit/extraction-reads.ts). */
export function auditExtractionReads(c: Context<AppEnv>, faxIds: string[]): void {
  const caller = c.get("caller");
  recordAudits(
    auditScope(c, caller.accountId, { type: "api_key", id: caller.keyId }),
    "fax.read_extraction",
    faxIds.map((id) => ({ type: "fax", id })),
  );
}

/** Who is recorded, and from where: the caller's request id, address and user agent (also for the event stream's entries). */
export function auditScope(c: Context<AppEnv>, accountId: string, actor: { type: AuditActorType; id: string | null }): AuditScope {
  return {
    env: c.env,
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    accountId,
    actor,
    requestId: c.get("requestId") ?? null,
    ip: c.req.header("cf-connecting-ip") ?? null,
    userAgent: c.req.header("user-agent") ?? null,
  };
}
