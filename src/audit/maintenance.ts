/** Cron work of the audit log: entries left in the outbox go to their chains again; daily signed checkpoints. */
import { documentStore } from "../storage/documents";
import { checkpointKey, signCheckpoint } from "./checkpoint";
import { flushAuditOutbox } from "./recorder";
import { headsWithoutCheckpoint } from "./store";

/** Signs today's checkpoint of every chain that has none yet (at most `limit` per run; the next run continues). */
export async function writeDailyCheckpoints(env: Pick<Env, "DB" | "DOCUMENTS" | "DOCUMENT_ENCRYPTION_KEY" | "AUDIT_SIGNING_KEY">, nowMs: number): Promise<number> {
  const signedAt = new Date(nowMs).toISOString();
  const day = signedAt.slice(0, 10);
  const heads = await headsWithoutCheckpoint(env.DB, day);
  for (const head of heads) {
    const checkpoint = await signCheckpoint(env.AUDIT_SIGNING_KEY, head, signedAt);
    const key = checkpointKey(head.account_id, day);
    await documentStore(env).put(key, JSON.stringify(checkpoint, null, 2) + "\n", { contentType: "application/json", customMetadata: { accountId: head.account_id } });
    await env.DB.prepare(
      `INSERT INTO audit_checkpoints (account_id, day, seq, hash, object_key, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET day = excluded.day, seq = excluded.seq, hash = excluded.hash, object_key = excluded.object_key, created_at = excluded.created_at`,
    )
      .bind(head.account_id, day, head.seq, head.hash, key, signedAt)
      .run();
  }
  return heads.length;
}

export async function runAuditMaintenance(env: Env, nowMs: number): Promise<{ appended: number; checkpoints: number }> {
  const appended = await flushAuditOutbox(env, nowMs);
  return { appended, checkpoints: await writeDailyCheckpoints(env, nowMs) };
}
