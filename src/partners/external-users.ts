/**
 * A partner's users (issue 15 point 1). Deleting one releases its numbers (each with the release
 * grace period and quarantine); its faxes stay, with their files, until their retention ends.
 */
import type { Db } from "../db/client";
import { deleteExternalUser, type ExternalUserRow } from "../db/external-user-store";
import { numbersOfExternalUsers, type NumberRow } from "../db/number-store";
import { releasePartnerNumber } from "./numbers";

export async function removeExternalUser(env: Env, db: Db, accountId: string, externalUserId: string): Promise<{ user: ExternalUserRow; released: NumberRow[] } | null> {
  const user = await deleteExternalUser(db, accountId, externalUserId);
  if (!user) return null;
  const released: NumberRow[] = [];
  for (const number of await numbersOfExternalUsers(db, accountId, [externalUserId])) {
    const row = await releasePartnerNumber(env, db, accountId, number.id);
    if (row) released.push(row);
  }
  return { user, released };
}
