/** Helpers of the audit and key tests: keys created through the API, as a user would. */
import { expect } from "vitest";
import { api } from "../helpers";

export interface ApiKey {
  id: string;
  name: string | null;
  mode: string;
  scope: string;
  key_prefix: string;
  revoked_at: string | null;
}

export async function createKey(key: string, body: Record<string, unknown>): Promise<ApiKey & { key: string }> {
  const res = await api("/v1/api-keys", { method: "POST", key, json: body });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}
