/**
 * Webhook secrets: `whsec_` + base64 of 32 random bytes (Standard Webhooks v1 §"Signature scheme":
 * the key is the base64-decoded part). They are stored encrypted with AES-256-GCM (NIST SP 800-38D)
 * under WEBHOOK_ENCRYPTION_KEY, a 12-byte random IV per value, and the owning row's id as
 * additional data, so a ciphertext copied onto another row does not decrypt.
 */
import type { CallbackSecretSealer } from "../db/account-store";
import { fromBase64, toBase64 } from "../lib/crypto";

const FORMAT = "v1";
const keys = new Map<string, Promise<CryptoKey>>();

export function newWebhookSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

function encryptionKey(env: Env): Promise<CryptoKey> {
  const material = env.WEBHOOK_ENCRYPTION_KEY;
  if (!material) throw new Error("WEBHOOK_ENCRYPTION_KEY is not set (base64 of 32 random bytes; `npm start` generates one)");
  let key = keys.get(material);
  if (!key) {
    const bytes = fromBase64(material);
    if (bytes.length !== 32) throw new Error("WEBHOOK_ENCRYPTION_KEY must be base64 of exactly 32 bytes");
    key = crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    keys.set(material, key);
  }
  return key;
}

/** `v1:<iv>:<ciphertext+tag>`, both base64; `owner` (the row id) is bound as additional data. */
export async function encryptSecret(env: Env, owner: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(owner) },
    await encryptionKey(env),
    new TextEncoder().encode(secret),
  );
  return `${FORMAT}:${toBase64(iv)}:${toBase64(new Uint8Array(sealed))}`;
}

export async function decryptSecret(env: Env, owner: string, stored: string): Promise<string> {
  const [format, iv, sealed] = stored.split(":");
  if (format !== FORMAT || !iv || !sealed) throw new Error("unknown secret encoding");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv), additionalData: new TextEncoder().encode(owner) },
    await encryptionKey(env),
    fromBase64(sealed),
  );
  return new TextDecoder().decode(plain);
}

/**
 * A new account's callback secret, encrypted for its account_secrets row (the account id is the
 * row's id, bound as additional data). scripts/key-create.mjs seals the same way with node:crypto.
 */
export function callbackSecretSealer(env: Env): CallbackSecretSealer {
  return async (accountId) => {
    const secret = newWebhookSecret();
    return { secret, sealed: await encryptSecret(env, accountId, secret) };
  };
}
