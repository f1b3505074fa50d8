/**
 * AuditLogObject: one Durable Object per account, the only writer of that account's chain (issue 17
 * point 2). Appends run one at a time (a promise chain), so `seq` has no gaps and no repeats however many
 * requests record at once. Each entry is inserted into D1 together with the deletion of its outbox row, in
 * one batch; an intent already in the chain (a retry from the cron) is skipped, so nothing is recorded twice.
 */
import { DurableObject } from "cloudflare:workers";
import { canonicalJson, chainEntry, GENESIS_HASH, type AuditEntry, type AuditIntent } from "./chain";

export class AuditLogObject extends DurableObject<Env> {
  private head: { seq: number; hash: string } | null = null;
  private tail: Promise<unknown> = Promise.resolve();

  /** Appends intents of `accountId` in the order given; answers the entries written (skipped ones excluded). */
  append(accountId: string, intents: AuditIntent[]): Promise<AuditEntry[]> {
    const run = this.tail.then(() => this.appendNow(accountId, intents));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(accountId: string, intents: AuditIntent[]): Promise<AuditEntry[]> {
    const db = this.env.DB;
    if (intents.length === 0) return [];
    const placeholders = intents.map(() => "?").join(",");
    const known = await db
      .prepare(`SELECT id FROM audit_events WHERE account_id = ? AND id IN (${placeholders})`)
      .bind(accountId, ...intents.map((i) => i.id))
      .all<{ id: string }>();
    const done = new Set(known.results.map((r) => r.id));
    const fresh = intents.filter((i) => !done.has(i.id));
    const deleteOutbox = (id: string) => db.prepare("DELETE FROM audit_outbox WHERE id = ?").bind(id);
    if (fresh.length === 0) {
      await db.batch(intents.map((i) => deleteOutbox(i.id)));
      return [];
    }
    this.head ??=
      (await db.prepare("SELECT seq, hash FROM audit_events WHERE account_id = ? ORDER BY seq DESC LIMIT 1").bind(accountId).first<{ seq: number; hash: string }>()) ??
      { seq: 0, hash: GENESIS_HASH };
    let head = this.head;
    const entries = fresh.map((intent) => (head = chainEntry(intent, head)));
    try {
      await db.batch([
        ...entries.flatMap((e) => [
          db
            .prepare(
              "INSERT INTO audit_events (id, account_id, seq, occurred_at, actor_type, actor_id, action, target_type, target_id, line, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(e.id, accountId, e.seq, e.occurred_at, e.actor.type, e.actor.id, e.action, e.target.type, e.target.id, canonicalJson(e), e.hash),
          deleteOutbox(e.id),
        ]),
        ...[...done].map(deleteOutbox),
      ]);
    } catch (error) {
      // The batch is one transaction: nothing was written. Read the head again next time (it may have
      // moved if this object was ever not the only writer).
      this.head = null;
      throw error;
    }
    this.head = head;
    return entries;
  }
}
