/**
 * The portal's one permission table (issue 19 point 3): which role may do which action. Every page and
 * every form handler names its action here through `allow()` (src/portal/session.ts); nothing else
 * decides who may do what.
 *
 * owner: everything. admin: everything but billing and ownership. billing: balance, purchases, usage,
 * statements. developer: keys, webhooks and their delivery logs, faxes; numbers read-only.
 */
import { SCOPE_GRANTS } from "../api/middleware/scopes";
import type { ApiKeyScope } from "../db/account-store";
import type { MemberRole } from "../db/portal-store";

export const ROLES = ["owner", "admin", "billing", "developer"] as const satisfies readonly MemberRole[];

export const ROLE_DESCRIPTIONS: Record<MemberRole, string> = {
  owner: "Everything, including billing and the team's ownership.",
  admin: "Everything but billing and ownership.",
  billing: "Balance, purchases, usage and statements.",
  developer: "API keys, webhooks and their delivery logs, faxes; numbers read-only.",
};

const ALL = ROLES;
const NOT_BILLING = ["owner", "admin", "developer"] as const;
const MANAGERS = ["owner", "admin"] as const;
const MONEY = ["owner", "billing"] as const;

/** Action → the roles allowed to do it. */
export const PERMISSIONS = {
  "dashboard.view": ALL,
  "faxes.view": NOT_BILLING,
  "faxes.send": NOT_BILLING,
  "faxes.cancel": NOT_BILLING,
  "numbers.view": NOT_BILLING,
  "numbers.manage": MANAGERS,
  /** Partners' external users and each one's inbox (faxes received on their numbers). */
  "external_users.view": NOT_BILLING,
  "webhooks.view": NOT_BILLING,
  "webhooks.manage": NOT_BILLING,
  "keys.view": NOT_BILLING,
  "keys.manage": NOT_BILLING,
  "billing.view": MONEY,
  "billing.manage": MONEY,
  "audit.view": MANAGERS,
  "team.view": MANAGERS,
  "team.manage": MANAGERS,
  /** Making someone an owner, or changing or removing an owner. */
  "team.ownership": ["owner"],
  "account.sessions": ALL,
} as const satisfies Record<string, readonly MemberRole[]>;

export type PortalAction = keyof typeof PERMISSIONS;

export function can(role: MemberRole, action: PortalAction): boolean {
  return (PERMISSIONS[action] as readonly MemberRole[]).includes(role);
}

/**
 * Where the role table meets the API's key scopes (src/api/middleware/scopes.ts owns what a scope grants):
 * the widest scope each role holds. A member may create or revoke only keys whose scope their role holds,
 * so no one mints a key that does more than they may. A developer holds `send`: numbers are read-only to
 * them, and provisioning a number through the API needs `full`.
 */
export const ROLE_KEY_SCOPE: Record<MemberRole, ApiKeyScope> = {
  owner: "full",
  admin: "full",
  billing: "read",
  developer: "send",
};

/** The key scopes a role holds, widest first. */
export function scopesHeldBy(role: MemberRole): readonly ApiKeyScope[] {
  return SCOPE_GRANTS[ROLE_KEY_SCOPE[role]];
}
