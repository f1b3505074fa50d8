/**
 * The audit action catalog (issue 17 point 2): every action the audit log can record, with the kind of
 * target it names. Names are `resource.verb` (GitHub's audit log style), distinct from the event
 * catalog's past-tense names: an audit entry says who did something, an event that something happened. Adding an action is one entry here and one call where it happens: `audit(c, action,
 * target)` in a route (src/api/audit.ts), `recordAudit(...)` elsewhere (./recorder.ts).
 */
export const AUDIT_ACTIONS = {
  "fax.send": { target: "fax", description: "A fax was submitted (POST /v1/faxes)." },
  "fax.cancel": { target: "fax", description: "A fax was canceled." },
  "fax.resend": { target: "fax", description: "A fax was sent again; the target is the new fax." },
  "fax.read_document": { target: "fax", description: "The fax's PDF was downloaded (API or signed URL)." },
  "fax.read_image": { target: "fax", description: "The fax's TIFF-F was downloaded (API or signed URL)." },
  "fax.read_page": { target: "fax", description: "A page preview (PNG) was downloaded (API or signed URL)." },
  "fax.issue_document_link": { target: "fax", description: "A signed URL to the fax's PDF was handed out." },
  "fax.issue_page_link": { target: "fax", description: "A signed URL to a page preview was handed out." },
  "fax.read_text": { target: "fax", description: "The OCR text of a received fax was read." },
  "fax.read_extraction": { target: "fax", description: "The extracted data of a received fax was read." },
  "number.provision": { target: "number", description: "A number was added to the account." },
  "number.release": { target: "number", description: "A number was released." },
  "number.update": { target: "number", description: "A number's tier or label was changed (partners)." },
  "webhook_endpoint.create": { target: "webhook_endpoint", description: "A webhook endpoint was added." },
  "webhook_endpoint.update": { target: "webhook_endpoint", description: "A webhook endpoint was changed." },
  "webhook_endpoint.delete": { target: "webhook_endpoint", description: "A webhook endpoint was deleted." },
  "webhook_endpoint.rotate_secret": { target: "webhook_endpoint", description: "A webhook endpoint's signing secret was rotated." },
  "webhook_endpoint.ping": { target: "webhook_endpoint", description: "A test event was sent to an endpoint." },
  "webhook_delivery.redeliver": { target: "webhook_delivery", description: "A webhook delivery was sent again on request." },
  "callback_secret.rotate": { target: "account", description: "The account's callback signing secret was rotated." },
  "api_key.create": { target: "api_key", description: "An API key was created." },
  "api_key.revoke": { target: "api_key", description: "An API key was revoked (with its OAuth tokens)." },
  "oauth_token.issue": { target: "api_key", description: "An OAuth access token was issued for a key." },
  "settings.update": { target: "account", description: "The account's settings were changed." },
  "portal.sign_in": { target: "portal_member", description: "A member signed in to the portal (by an emailed link, or by accepting an invitation or a sign-up)." },
  "portal.change_role": { target: "portal_member", description: "A portal member's role was changed." },
  // portal (issue 19): the team and sessions; the portal's other actions record the same actions as the API.
  "portal.sign_out": { target: "portal_member", description: "A member signed out (this browser, or everywhere)." },
  "portal.revoke_session": { target: "portal_member", description: "A member ended one or more of their other sessions from the sessions page." },
  "portal.switch_mode": { target: "account", description: "A member switched the portal between test and live data." },
  "portal.invite_member": { target: "portal_member", description: "Someone was invited to the team (the target is the invitation's link id)." },
  "portal.withdraw_invitation": { target: "portal_member", description: "An invitation was withdrawn." },
  "portal.remove_member": { target: "portal_member", description: "A member was removed from the team." },
  "retention.purge": { target: "fax", description: "The retention purge deleted a fax's files." },
  // billing (issue 16)
  "credits.purchase": { target: "credit_purchase", description: "A credit bundle was bought (POST /v1/balance/purchases)." },
  "credits.grant": { target: "account", description: "The operator granted or took back credits, or booked a paid purchase." },
  "invoice.pay": { target: "invoice", description: "A monthly statement became paid: at once (test mode), through Stripe, or recorded by the operator." },
  // partners (issue 15): a partner's own users; their numbers are number.provision / number.release, their faxes' files fax.read_*
  "external_user.create": { target: "external_user", description: "An external user was created (PUT /v1/external-users/{external_user_id})." },
  "external_user.update": { target: "external_user", description: "An external user's name, email or metadata was replaced." },
  "external_user.delete": { target: "external_user", description: "An external user was deleted (its numbers released, each with number.release)." },
  "external_user.mark_read": { target: "fax", description: "A fax in an external user's inbox was marked read." },
  "external_user.mark_unread": { target: "fax", description: "A fax in an external user's inbox was marked unread." },
} as const satisfies Record<string, { target: AuditTargetType; description: string }>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

export type AuditTargetType = "fax" | "number" | "webhook_endpoint" | "webhook_delivery" | "api_key" | "account" | "credit_purchase" | "external_user" | "invoice" | "portal_member";

/** Who acted: an API key (or an OAuth token issued from it), the holder of a signed URL, the platform, or a portal member (`user`, id mem_…). */
export type AuditActorType = "api_key" | "signed_url" | "system" | "user";

/**
 * Actions whose feature has not landed yet: nothing records them. test/source/audit-catalog.test.ts fails
 * when one is recorded and still listed, or when an action not listed is recorded nowhere.
 */
export const NOT_YET_RECORDED = [] as const satisfies readonly AuditAction[];
