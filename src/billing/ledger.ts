/**
 * The ledger as the rest of the Worker uses it: the LedgerObject of an (account, mode), and what a fax
 * does to it (issue 16 point 2): reserve its pages when it is accepted, top the reservation up should it render
 * to more, and settle or refund once it is final.
 */
import type { Mode } from "../db/credit-store";
import { ApiError } from "../errors/api-error";
import type { LedgerObject } from "./ledger-object";

export function ledger(env: Env, accountId: string, mode: Mode): DurableObjectStub<LedgerObject> {
  const ns = env.LEDGER as DurableObjectNamespace<LedgerObject>;
  return ns.get(ns.idFromName(`${accountId}:${mode}`));
}

/** Takes `pages` credits for the fax, or refuses it with 402 `balance.insufficient`. */
export async function reserveFaxCredits(env: Env, accountId: string, mode: Mode, faxId: string, pages: number): Promise<void> {
  const result = await ledger(env, accountId, mode).reserve({ accountId, mode }, faxId, pages);
  if (result.ok) return;
  throw new ApiError("balance.insufficient", {
    detail: `This fax has ${pages} page${pages === 1 ? "" : "s"} and needs as many credits; the ${mode} balance is ${result.balance}.`,
  });
}

/**
 * The fax rendered to `pages`: its reservation is brought up to them, so every page dialled is paid for.
 * False when the balance cannot cover the difference (the fax must not be sent).
 */
export async function coverFaxPages(env: Env, accountId: string, mode: Mode, faxId: string, pages: number): Promise<boolean> {
  return (await ledger(env, accountId, mode).cover({ accountId, mode }, faxId, pages)).ok;
}

/** The fax is final: charge the pages actually sent, give back the rest of its reservation. */
export async function releaseFaxCredits(env: Env, accountId: string, mode: Mode, faxId: string, pagesCharged: number): Promise<void> {
  await ledger(env, accountId, mode).release({ accountId, mode }, faxId, pagesCharged);
}
