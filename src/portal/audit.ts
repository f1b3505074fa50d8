/**
 * Recording what a member does in the portal in the account's audit log (src/audit/), with the actor
 * `{ type: "user", id: <member id> }`: every form that changes something, and every page that hands out a
 * customer's documents or their text. The same actions as the API's (src/audit/catalog.ts), so the log reads
 * the same whichever way a change was made. Written after the response; never delays or fails a page.
 */
import type { Context } from "hono";
import type { AuditAction, AuditTargetType } from "../audit/catalog";
import { recordAudit } from "../audit/recorder";
import type { PortalEnv } from "./context";

type Target = { type: AuditTargetType; id: string | null };

/** waitUntil when the request has an execution context (always, in the Worker); else the work just runs. */
function keepAlive(c: Context<PortalEnv>, work: Promise<unknown>): void {
  let ctx: ExecutionContext | undefined;
  try {
    ctx = c.executionCtx as ExecutionContext;
  } catch {
    ctx = undefined;
  }
  if (ctx) ctx.waitUntil(work);
  else void work;
}

/** For the moment of sign-in, before the request has a member: the one signing in. */
export function auditAsMember(c: Context<PortalEnv>, who: { accountId: string; memberId: string }, action: AuditAction, target: Target): void {
  recordAudit(
    {
      env: c.env,
      waitUntil: (work) => keepAlive(c, work),
      accountId: who.accountId,
      actor: { type: "user", id: who.memberId },
      requestId: (c.get("requestId") as string | undefined) ?? null,
      ip: c.req.header("cf-connecting-ip") ?? null,
      userAgent: c.req.header("user-agent") ?? null,
    },
    action,
    target,
  );
}

/** The signed-in member did `action` to `target`. */
export function auditMember(c: Context<PortalEnv>, action: AuditAction, target: Target): void {
  const member = c.get("member");
  auditAsMember(c, { accountId: member.accountId, memberId: member.id }, action, target);
}
