/**
 * The portal's team members, emailed links and sessions (src/portal/). Secrets (link and session tokens)
 * are stored only as SHA-256 hashes; every query a member can reach carries the account id.
 */
import { and, asc, desc, eq, gt, gte, isNull, ne, sql } from "drizzle-orm";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { accounts, faxes, numbers, portalLinks, portalMembers, portalSessions, webhookEndpoints, type MEMBER_ROLES } from "./schema";

export type MemberRole = (typeof MEMBER_ROLES)[number];
export type MemberRow = typeof portalMembers.$inferSelect;
export type LinkRow = typeof portalLinks.$inferSelect;
export type SessionRow = typeof portalSessions.$inferSelect;
export type LinkPurpose = LinkRow["purpose"];

// ---- members ----

export async function insertMember(db: Db, accountId: string, email: string, role: MemberRole, nowIso: string): Promise<MemberRow> {
  const row: MemberRow = { id: newId("mem"), accountId, email, role, createdAt: nowIso, removedAt: null };
  await db.insert(portalMembers).values(row).onConflictDoNothing();
  // An invitation accepted twice (two tabs) finds the member the first made.
  return (await findMemberByEmail(db, accountId, email)) ?? row;
}

/** Every active membership of an email, with its account's name (sign-in sends one link per account). */
export async function membershipsOf(db: Db, email: string) {
  return db
    .select({ member: portalMembers, accountName: accounts.name })
    .from(portalMembers)
    .innerJoin(accounts, eq(accounts.id, portalMembers.accountId))
    .where(and(eq(portalMembers.email, email), isNull(portalMembers.removedAt)))
    .orderBy(asc(portalMembers.id))
    .all();
}

export async function findMember(db: Db, accountId: string, id: string): Promise<MemberRow | undefined> {
  return db.select().from(portalMembers).where(and(eq(portalMembers.accountId, accountId), eq(portalMembers.id, id), isNull(portalMembers.removedAt))).get();
}

export async function findMemberByEmail(db: Db, accountId: string, email: string): Promise<MemberRow | undefined> {
  return db
    .select()
    .from(portalMembers)
    .where(and(eq(portalMembers.accountId, accountId), eq(portalMembers.email, email), isNull(portalMembers.removedAt)))
    .get();
}

export async function listMembers(db: Db, accountId: string): Promise<MemberRow[]> {
  return db.select().from(portalMembers).where(and(eq(portalMembers.accountId, accountId), isNull(portalMembers.removedAt))).orderBy(asc(portalMembers.id)).all();
}

export async function countOwners(db: Db, accountId: string): Promise<number> {
  const rows = await db
    .select({ id: portalMembers.id })
    .from(portalMembers)
    .where(and(eq(portalMembers.accountId, accountId), eq(portalMembers.role, "owner"), isNull(portalMembers.removedAt)))
    .all();
  return rows.length;
}

export async function setMemberRole(db: Db, accountId: string, id: string, role: MemberRole): Promise<MemberRow | undefined> {
  return db
    .update(portalMembers)
    .set({ role })
    .where(and(eq(portalMembers.accountId, accountId), eq(portalMembers.id, id), isNull(portalMembers.removedAt)))
    .returning()
    .get();
}

/** Removes a member and ends their sessions in the same batch. */
export async function removeMember(db: Db, accountId: string, id: string, nowIso: string): Promise<void> {
  await db.batch([
    db.update(portalMembers).set({ removedAt: nowIso }).where(and(eq(portalMembers.accountId, accountId), eq(portalMembers.id, id), isNull(portalMembers.removedAt))),
    db.update(portalSessions).set({ revokedAt: nowIso }).where(and(eq(portalSessions.accountId, accountId), eq(portalSessions.memberId, id), isNull(portalSessions.revokedAt))),
  ]);
}

// ---- emailed links ----

export async function insertLink(db: Db, row: Omit<LinkRow, "id" | "usedAt">): Promise<LinkRow> {
  const full: LinkRow = { ...row, id: newId("lnk"), usedAt: null };
  await db.insert(portalLinks).values(full);
  return full;
}

/** A link that is unused and unexpired, without using it (the page that asks to confirm). */
export async function findUsableLink(db: Db, tokenHash: string, nowIso: string): Promise<LinkRow | undefined> {
  return db.select().from(portalLinks).where(and(eq(portalLinks.tokenHash, tokenHash), isNull(portalLinks.usedAt), gt(portalLinks.expiresAt, nowIso))).get();
}

/** Uses a link: one UPDATE that only an unused, unexpired link matches, so two clicks cannot both win. */
export async function useLink(db: Db, tokenHash: string, nowIso: string): Promise<LinkRow | undefined> {
  return db
    .update(portalLinks)
    .set({ usedAt: nowIso })
    .where(and(eq(portalLinks.tokenHash, tokenHash), isNull(portalLinks.usedAt), gt(portalLinks.expiresAt, nowIso)))
    .returning()
    .get();
}

/** Invitations still open (not accepted, not expired, not withdrawn), newest first. */
export async function pendingInvitations(db: Db, accountId: string, nowIso: string): Promise<LinkRow[]> {
  return db
    .select()
    .from(portalLinks)
    .where(and(eq(portalLinks.accountId, accountId), eq(portalLinks.purpose, "invite"), isNull(portalLinks.usedAt), gt(portalLinks.expiresAt, nowIso)))
    .orderBy(desc(portalLinks.id))
    .all();
}

/** Withdraws an invitation: it is marked used, so its link no longer works. */
export async function withdrawInvitation(db: Db, accountId: string, id: string, nowIso: string): Promise<LinkRow | undefined> {
  return db
    .update(portalLinks)
    .set({ usedAt: nowIso })
    .where(and(eq(portalLinks.accountId, accountId), eq(portalLinks.id, id), eq(portalLinks.purpose, "invite"), isNull(portalLinks.usedAt)))
    .returning()
    .get();
}

// ---- sessions ----

export type NewSession = Omit<SessionRow, "revokedAt" | "id" | "userAgent" | "ipPrefix" | "mode"> & Partial<Pick<SessionRow, "userAgent" | "ipPrefix" | "mode">>;

export async function insertSession(db: Db, row: NewSession): Promise<string> {
  const id = newId("ses");
  await db.insert(portalSessions).values({ ...row, id, revokedAt: null });
  return id;
}

/** The member's live sessions (not revoked, not past the absolute timeout), most recently seen first. */
export async function listLiveSessions(db: Db, accountId: string, memberId: string, nowIso: string): Promise<SessionRow[]> {
  return db
    .select()
    .from(portalSessions)
    .where(and(eq(portalSessions.accountId, accountId), eq(portalSessions.memberId, memberId), isNull(portalSessions.revokedAt), gt(portalSessions.expiresAt, nowIso)))
    .orderBy(desc(portalSessions.lastSeenAt))
    .all();
}

/** Revokes one of the member's own sessions by its public id; undefined when there is no such live one. */
export async function revokeMemberSession(db: Db, accountId: string, memberId: string, id: string, nowIso: string): Promise<SessionRow | undefined> {
  return db
    .update(portalSessions)
    .set({ revokedAt: nowIso })
    .where(and(eq(portalSessions.accountId, accountId), eq(portalSessions.memberId, memberId), eq(portalSessions.id, id), isNull(portalSessions.revokedAt)))
    .returning()
    .get();
}

/** The test/live context of a session: what its pages show and what they create. */
export async function setSessionMode(db: Db, accountId: string, tokenHash: string, mode: SessionRow["mode"]): Promise<void> {
  await db.update(portalSessions).set({ mode }).where(and(eq(portalSessions.accountId, accountId), eq(portalSessions.tokenHash, tokenHash)));
}

/** A live session (not revoked, not past its absolute timeout) with its member, who must still be on the team. */
export async function findSession(db: Db, tokenHash: string, nowIso: string) {
  return db
    .select({ session: portalSessions, member: portalMembers, accountName: accounts.name })
    .from(portalSessions)
    .innerJoin(portalMembers, and(eq(portalMembers.id, portalSessions.memberId), isNull(portalMembers.removedAt)))
    .innerJoin(accounts, eq(accounts.id, portalSessions.accountId))
    .where(and(eq(portalSessions.tokenHash, tokenHash), isNull(portalSessions.revokedAt), gt(portalSessions.expiresAt, nowIso)))
    .get();
}

export async function touchSession(db: Db, tokenHash: string, nowIso: string): Promise<void> {
  await db.update(portalSessions).set({ lastSeenAt: nowIso }).where(eq(portalSessions.tokenHash, tokenHash));
}

export async function revokeSession(db: Db, tokenHash: string, nowIso: string): Promise<void> {
  await db.update(portalSessions).set({ revokedAt: nowIso }).where(and(eq(portalSessions.tokenHash, tokenHash), isNull(portalSessions.revokedAt)));
}

/** Sign-out everywhere: every session of the member, or every one but `keep`. */
export async function revokeMemberSessions(db: Db, accountId: string, memberId: string, nowIso: string, keep?: string): Promise<number> {
  const where = [eq(portalSessions.accountId, accountId), eq(portalSessions.memberId, memberId), isNull(portalSessions.revokedAt)];
  if (keep) where.push(ne(portalSessions.tokenHash, keep));
  const rows = await db.update(portalSessions).set({ revokedAt: nowIso }).where(and(...where)).returning({ tokenHash: portalSessions.tokenHash }).all();
  return rows.length;
}

// ---- dashboard ----

/** Counts for the dashboard, in the session's test/live context: faxes since a time by direction and status, active numbers, endpoints, members. */
export async function dashboardCounts(db: Db, accountId: string, mode: "test" | "live", sinceIso: string) {
  const [faxRows, numberRows, endpointRows, memberRows] = await db.batch([
    db
      .select({ direction: faxes.direction, status: faxes.status, n: sql<number>`count(*)` })
      .from(faxes)
      .where(and(eq(faxes.accountId, accountId), eq(faxes.mode, mode), gte(faxes.createdAt, sinceIso)))
      .groupBy(faxes.direction, faxes.status),
    db.select({ n: sql<number>`count(*)` }).from(numbers).where(and(eq(numbers.accountId, accountId), eq(numbers.mode, mode), isNull(numbers.releasedAt))),
    db.select({ n: sql<number>`count(*)` }).from(webhookEndpoints).where(and(eq(webhookEndpoints.accountId, accountId), eq(webhookEndpoints.mode, mode), isNull(webhookEndpoints.deletedAt))),
    db.select({ n: sql<number>`count(*)` }).from(portalMembers).where(and(eq(portalMembers.accountId, accountId), isNull(portalMembers.removedAt))),
  ]);
  return { faxes: faxRows, numbers: numberRows[0]?.n ?? 0, endpoints: endpointRows[0]?.n ?? 0, members: memberRows[0]?.n ?? 0 };
}
