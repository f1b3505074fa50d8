/**
 * A partner's inbox read state (issue 15 point 4, migration 0010): `read_at` on a fax received on one of the
 * user's numbers. It is set the first time that user fetches the fax or its files, and set or cleared on
 * request. Every statement carries the account, the mode and the user (by the current user record, so a reused
 * external_user_id never touches a former user's faxes).
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "./client";
import { faxesOfExternalUser } from "./fax-store";
import { faxes } from "./schema";
import type { Tenant } from "./tenant";

const inboxFax = (tenant: Tenant, externalUserId: string, faxId: string) =>
  and(eq(faxes.accountId, tenant.accountId), eq(faxes.mode, tenant.mode), eq(faxes.id, faxId), eq(faxes.direction, "inbound"), faxesOfExternalUser(tenant, externalUserId));

/**
 * Marks the user's received fax read (keeping the first read time) or, with `at` null, unread.
 * Returns the fax's read_at afterwards, or undefined when the fax is not in that user's inbox.
 */
export async function setInboxRead(db: Db, tenant: Tenant, externalUserId: string, faxId: string, at: string | null): Promise<{ readAt: string | null } | undefined> {
  return db
    .update(faxes)
    .set({ readAt: at === null ? null : sql`COALESCE(${faxes.readAt}, ${at})` })
    .where(inboxFax(tenant, externalUserId, faxId))
    .returning({ readAt: faxes.readAt })
    .get();
}

/** read_at of each of the account's faxes listed (an inbox page: at most 100, so two statements at most). */
export async function inboxReadTimes(db: Db, tenant: Tenant, faxIds: string[]): Promise<Map<string, string | null>> {
  const found = new Map<string, string | null>();
  // D1 binds at most 100 parameters per statement.
  for (let i = 0; i < faxIds.length; i += 90) {
    const rows = await db
      .select({ id: faxes.id, readAt: faxes.readAt })
      .from(faxes)
      .where(and(eq(faxes.accountId, tenant.accountId), eq(faxes.mode, tenant.mode), inArray(faxes.id, faxIds.slice(i, i + 90))))
      .all();
    for (const row of rows) found.set(row.id, row.readAt);
  }
  return found;
}
