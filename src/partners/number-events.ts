/**
 * number.provisioned and number.released (issue 15 point 8), recorded in the D1 batch that changes the
 * number (only if that batch does: src/webhooks/account-events.ts) and published once stored. `data.number`
 * is the number as the API shows it, released_at included; a user's number also carries external_user_id.
 */
import type { Db } from "../db/client";
import type { NumberChangeStatements, NumberRow } from "../db/number-store";
import type { EventType, PlatformEvent } from "../events/catalog";
import { accountEvent } from "../webhooks/account-events";

/** A number as the API shows it (GET /v1/numbers/{id} adds usage). */
export function presentNumber(row: NumberRow) {
  return { id: row.id, number: row.number, mode: row.mode, label: row.label, external_user_id: row.externalUserId, tier: row.tier, created_at: row.createdAt };
}

export function numberEvent(db: Db, type: Extract<EventType, "number.provisioned" | "number.released">): { alongside: NumberChangeStatements; recorded: PlatformEvent[] } {
  const recorded: PlatformEvent[] = [];
  const alongside: NumberChangeStatements = (row, active) => {
    const user = row.externalUserId ? { external_user_id: row.externalUserId } : {};
    const { event, statement } = accountEvent(
      db,
      { accountId: row.accountId, mode: row.mode, type, data: { ...user, number: { ...presentNumber(row), released_at: row.releasedAt } } },
      type === "number.released" ? active : undefined,
    );
    recorded.splice(0, recorded.length, event);
    return [statement];
  };
  return { alongside, recorded };
}
