/** What a portal request carries: the signed-in member (when there is one), the CSRF token for its forms, the viewer's time zone. */
import type { MemberRole } from "../db/portal-store";
import type { Logger } from "../lib/log";

export interface SignedInMember {
  id: string;
  accountId: string;
  accountName: string;
  email: string;
  role: MemberRole;
  /** SHA-256 of the session cookie's token. */
  sessionHash: string;
  /** The session's public id (null for a session started before migration 0013). */
  sessionId: string | null;
  /** The test/live context this browser works in: what pages list and what forms create. */
  mode: "test" | "live";
}

export interface PortalEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    member: SignedInMember;
    /** The token every form on the page carries (src/portal/csrf.ts). */
    csrf: string;
    /** An IANA zone (the `edgefax_tz` cookie the page script sets), else UTC. */
    timeZone: string;
  };
}
