/**
 * A partner's users (issue 15 point 1). Deleting one releases its numbers (each with the release
 * grace period and quarantine); its faxes stay, with their files, until their retention ends.
 */
import type { Db } from "../db/client";
import type { Tenant } from "../db/tenant";
import { deleteExternalUser, findExternalUser, type ExternalUserRow } from "../db/external-user-store";
import { formerUserNumbersRouting, numbersOfExternalUsers, type NumberRow } from "../db/number-store";
import { ApiError } from "../errors/api-error";
import { releasePartnerNumber } from "./numbers";
import { releasePolicy } from "./tiers";

export async function removeExternalUser(env: Env, db: Db, tenant: Tenant, externalUserId: string): Promise<{ user: ExternalUserRow; released: NumberRow[] } | null> {
  const user = await deleteExternalUser(db, tenant, externalUserId);
  if (!user) return null;
  const released: NumberRow[] = [];
  for (const number of await numbersOfExternalUsers(db, tenant, [externalUserId])) {
    const row = await releasePartnerNumber(env, db, tenant, number.id);
    if (row) released.push(row);
  }
  return { user, released };
}

/**
 * A deleted user's numbers still route to it during their release grace period, and those faxes' events
 * carry its external_user_id: a new user under the same id would receive them in the partner's routing
 * (a misrouted fax). So the id is not given to a new user until the last of them stops routing; replacing
 * a live user is not affected.
 */
export async function refuseIdInGrace(env: Env, db: Db, tenant: Tenant, externalUserId: string): Promise<void> {
  if (await findExternalUser(db, tenant, externalUserId)) return;
  const now = Date.now();
  const routing = await formerUserNumbersRouting(db, tenant, externalUserId, new Date(now).toISOString());
  // Numbers not released yet (a DELETE still at work) will route for a whole grace period from now.
  const pendingUntil = routing.unreleased > 0 ? new Date(now + releasePolicy(env).graceMs).toISOString() : null;
  const until = [routing.until, pendingUntil].filter((t): t is string => t !== null).sort().at(-1);
  if (until === undefined) return;
  throw new ApiError("external_user.id_in_grace", {
    detail: `The deleted external user ${externalUserId} has numbers in their release grace period: faxes on them reach the former user, with external_user_id ${externalUserId}, until ${until}. Choose another id, or PUT again after ${until}.`,
  });
}
