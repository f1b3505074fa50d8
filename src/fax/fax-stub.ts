import type { FaxObject } from "./fax-object";

/** The FaxObject of one fax: named by the fax id, so any Worker reaches the same object. */
export function faxObject(env: Env, faxId: string): DurableObjectStub<FaxObject> {
  const ns = env.FAX as DurableObjectNamespace<FaxObject>;
  return ns.get(ns.idFromName(faxId));
}
