/** Cron work of the audit log: entries left in the outbox go to their chains again. */
import { flushAuditOutbox } from "./recorder";

export async function runAuditMaintenance(env: Env, nowMs: number): Promise<{ appended: number }> {
  return { appended: await flushAuditOutbox(env, nowMs) };
}
