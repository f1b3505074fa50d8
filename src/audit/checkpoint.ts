/**
 * Signed checkpoints (issue 17 point 3): once a day the head of each account's chain (seq and hash) is
 * signed with Ed25519 and written to R2, so cutting entries off the end of the chain is detected too:
 * a verifier given a checkpoint expects the chain to reach its seq with its hash. The key is the secret
 * AUDIT_SIGNING_KEY, base64 of a 32-byte Ed25519 seed; the checkpoint names its public key and key id.
 */
import { fromBase64, sha256Hex, toBase64 } from "../lib/crypto";
import { canonicalJson, type ChainHead } from "./chain";

export interface Checkpoint extends ChainHead {
  signed_at: string;
  key_id: string;
  /** base64 of the raw 32-byte Ed25519 public key. */
  public_key: string;
  /** base64 Ed25519 signature over the canonical JSON of { account_id, seq, hash, signed_at, key_id }. */
  signature: string;
}

// RFC 8410 §7: a PKCS#8 Ed25519 private key is this fixed prefix followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

export async function signingKey(secret: string | undefined): Promise<{ privateKey: CryptoKey; publicKey: Uint8Array; keyId: string }> {
  const seed = secret ? fromBase64(secret.trim()) : new Uint8Array();
  if (seed.length !== 32) throw new Error("AUDIT_SIGNING_KEY must be base64 of 32 bytes (an Ed25519 seed): `openssl rand -base64 32`");
  const privateKey = await crypto.subtle.importKey("pkcs8", new Uint8Array([...PKCS8_ED25519_PREFIX, ...seed]), { name: "Ed25519" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey;
  const publicKey = fromBase64(jwk.x!.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (jwk.x!.length % 4)) % 4));
  return { privateKey, publicKey, keyId: (await sha256Hex(publicKey)).slice(0, 16) };
}

function signedPart(c: Omit<Checkpoint, "public_key" | "signature">): Uint8Array {
  return new TextEncoder().encode(canonicalJson({ account_id: c.account_id, seq: c.seq, hash: c.hash, signed_at: c.signed_at, key_id: c.key_id }));
}

export async function signCheckpoint(secret: string | undefined, head: ChainHead, signedAt: string): Promise<Checkpoint> {
  const key = await signingKey(secret);
  const unsigned = { ...head, signed_at: signedAt, key_id: key.keyId };
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key.privateKey, signedPart(unsigned)));
  return { ...unsigned, public_key: toBase64(key.publicKey), signature: toBase64(signature) };
}

/** Checks a checkpoint's signature, against `trustedPublicKey` (base64) when given, else the key it names. */
export async function checkpointSignatureValid(checkpoint: Checkpoint, trustedPublicKey?: string): Promise<boolean> {
  try {
    const raw = fromBase64(trustedPublicKey ?? checkpoint.public_key);
    if (trustedPublicKey && trustedPublicKey !== checkpoint.public_key) return false;
    const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify("Ed25519", key, fromBase64(checkpoint.signature), signedPart(checkpoint));
  } catch {
    return false;
  }
}

/** Where an account's checkpoint of `day` (YYYY-MM-DD) is kept in R2. */
export function checkpointKey(accountId: string, day: string): string {
  return `audit/${accountId}/checkpoints/${day}.json`;
}
