/**
 * Numbers of a partner's users (issue 15 point 2): provisioning with a tier and an optional area code,
 * tier changes, release with a grace period and a quarantine, and the number a user sends from.
 */
import { settings } from "../config";
import type { Db } from "../db/client";
import { findExternalUser } from "../db/external-user-store";
import type { Tenant } from "../db/tenant";
import { claimNumber, numbersOfExternalUsers, releaseNumber, testNumberCandidates, unavailableNumbers, type NumberRow } from "../db/number-store";
import { ApiError } from "../errors/api-error";
import { publishAccountEvents } from "../webhooks/account-events";
import { numberEvent } from "./number-events";
import { releasePolicy, type TierName } from "./tiers";

/** How many random test numbers one provisioning tries (the test range has 9,000). */
const TEST_CANDIDATES = 40;

/** The NANP area code of an E.164 number (+1 NPA NXX XXXX), or null outside +1. */
export function areaCodeOf(e164: string): string | null {
  return /^\+1(\d{3})\d{7}$/.exec(e164)?.[1] ?? null;
}

export interface NumberRequest {
  label: string | null;
  externalUserId: string | null;
  tier: TierName | null;
  areaCode: string | null;
}

/**
 * A free number for the account: test keys get a fictional +1 555 010 number, live keys one of the
 * operator's pool. Numbers held now or still in quarantine are never handed out. An area code that
 * cannot be met is refused with the area codes that can.
 */
export async function provisionPartnerNumber(env: Env, db: Db, accountId: string, mode: "test" | "live", request: NumberRequest): Promise<NumberRow> {
  const user = request.externalUserId === null ? null : await findExternalUser(db, { accountId, mode }, request.externalUserId);
  if (request.externalUserId !== null && !user) {
    throw new ApiError("external_user.not_found", {
      detail: `No external user ${request.externalUserId}: create it with PUT /v1/external-users/${request.externalUserId} first.`,
      errors: [{ pointer: "/external_user_id", detail: "no such external user" }],
    });
  }
  const pool = mode === "test" ? testNumberCandidates(TEST_CANDIDATES) : settings(env).liveNumberPool;
  const quarantineSince = new Date(Date.now() - releasePolicy(env).quarantineMs).toISOString();
  const taken = await unavailableNumbers(db, pool, quarantineSince);
  const free = [...new Set(pool)].filter((n) => !taken.has(n));
  const wanted = request.areaCode === null ? free : free.filter((n) => areaCodeOf(n) === request.areaCode);
  if (request.areaCode !== null && wanted.length === 0) {
    const available = [...new Set(free.map(areaCodeOf).filter((a): a is string => a !== null))].sort();
    const where = mode === "test" ? "Test numbers are all in area code 555" : available.length ? `Area codes with free numbers: ${available.join(", ")}` : "No live number is free in any area code";
    throw new ApiError("number.area_code_unavailable", {
      detail: `No ${mode} number is free in area code ${request.areaCode}. ${where}.`,
      errors: [{ pointer: "/area_code", detail: available.length ? `available: ${available.join(", ")}` : "none available" }],
    });
  }
  const provisioned = numberEvent(db, "number.provisioned");
  const row = await claimNumber(db, { accountId, mode, label: request.label, externalUserId: request.externalUserId, userId: user?.id ?? null, tier: request.tier }, wanted, provisioned.alongside);
  if (!row) {
    throw new ApiError("number.unavailable", {
      detail: mode === "live" ? `Every number in the operator's pool (${pool.length}) is taken or in quarantine.` : "No free test number was found this time.",
    });
  }
  await publishAccountEvents(env, accountId, provisioned.recorded);
  return row;
}

/** Releases a number: it routes to this account for the grace period, then the gateway answers SIP 404. */
export async function releasePartnerNumber(env: Env, db: Db, tenant: Tenant, id: string): Promise<NumberRow | undefined> {
  const released = numberEvent(db, "number.released");
  const row = await releaseNumber(db, tenant, id, releasePolicy(env).graceMs, released.alongside);
  if (row) await publishAccountEvents(env, tenant.accountId, released.recorded);
  return row;
}

/**
 * The number a fax for a partner's user goes out from (caller id and header): `from` when it is one of
 * the user's numbers, else the user's first.
 */
export async function senderNumberOfUser(db: Db, tenant: Tenant, externalUserId: string, from: string | undefined): Promise<NumberRow> {
  if (!(await findExternalUser(db, tenant, externalUserId))) {
    throw new ApiError("external_user.not_found", { detail: `No external user ${externalUserId}.`, errors: [{ pointer: "/external_user_id", detail: "no such external user" }] });
  }
  const own = await numbersOfExternalUsers(db, tenant, [externalUserId]);
  const number = from === undefined ? own[0] : own.find((n) => n.number === from.trim());
  if (!number) {
    throw new ApiError("fax.sender.invalid", {
      detail: from === undefined ? `External user ${externalUserId} has no number yet: POST /v1/numbers {"external_user_id": "${externalUserId}"}.` : `${from} is not a number of external user ${externalUserId}.`,
      errors: [{ pointer: from === undefined ? "/external_user_id" : "/from", detail: "must have a number of this external user" }],
    });
  }
  return number;
}
