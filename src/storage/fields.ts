/**
 * Values kept in D1 encrypted (issue 17 point 4: fax `metadata` and cover-page text, and the event and
 * webhook payloads that carry them), and the blind index that lets `metadata[key]=value` filter them.
 *
 * Keys: derived with HKDF-SHA-256 (RFC 5869) from each key of DOCUMENT_ENCRYPTION_KEY (./documents.ts), one
 * AES-256-GCM key and one HMAC-SHA-256 key per secret key, under their own `info` labels, so neither can
 * be used as the other or as a document KEK. A value is sealed under the first (current) key and names its
 * key's id, so the rotation of documents (`npm run documents:rewrap`) covers D1 too: old keys stay in the
 * secret until the re-wrap has re-sealed what they sealed.
 *
 * A sealed value is text: `efxf1.<key id>.<base64 of 12-byte IV | ciphertext | tag>`. Its additional data
 * names what it belongs to (e.g. the account and the fax), so a value copied into another row, another
 * fax or another account does not decrypt there.
 */
import { ApiError } from "../errors/api-error";
import { fromBase64, toBase64 } from "../lib/crypto";
import { keyMaterial } from "./documents";

const PREFIX = "efxf1.";
const SEAL_INFO = "edgefax d1 field seal v1";
const INDEX_INFO = "edgefax metadata blind index v1";

interface FieldKey {
  id: string;
  seal: CryptoKey;
  index: CryptoKey;
}

export interface FieldCipher {
  /** Id of the key new values are sealed under. */
  currentKeyId(): Promise<string>;
  /** Ids of every key of the secret (a value under another key cannot be opened). */
  keyIds(): Promise<string[]>;
  /** `plain` sealed under the current key, bound to `context`. */
  seal(context: string, plain: string): Promise<string>;
  /** The plaintext of a value `seal` made with the same context. */
  open(context: string, sealed: string): Promise<string>;
  /**
   * The blind index of one metadata pair of an account under the current key: HMAC-SHA-256 over the account,
   * the key and the value, so equal pairs of two accounts never share an entry. `scope` names what else than
   * a fax the pair belongs to (e.g. "external_user"), so equal pairs of a fax and a user differ too.
   */
  index(accountId: string, key: string, value: string, scope?: string): Promise<{ keyId: string; hash: string }>;
  /** The pair's index under every key of the secret: what a filter looks for while a rotation is under way. */
  indexes(accountId: string, key: string, value: string, scope?: string): Promise<string[]>;
}

/** Whether a stored value is sealed by this module (anything else was stored before encryption). */
export function isSealedField(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The id of the key a sealed value names. */
export function sealedKeyId(sealed: string): string {
  return sealed.slice(PREFIX.length, sealed.indexOf(".", PREFIX.length));
}

const rings = new Map<string, Promise<FieldKey[]>>();

function fieldKeys(secret: string | undefined): Promise<FieldKey[]> {
  let ring = rings.get(secret ?? "");
  if (!ring) {
    ring = keyMaterial(secret).then((keys) =>
      Promise.all(
        keys.map(async ({ id, bytes }) => {
          const base = await crypto.subtle.importKey("raw", bytes, "HKDF", false, ["deriveKey"]);
          const hkdf = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode(info) });
          return {
            id,
            seal: await crypto.subtle.deriveKey(hkdf(SEAL_INFO), base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]),
            index: await crypto.subtle.deriveKey(hkdf(INDEX_INFO), base, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]),
          };
        }),
      ),
    );
    rings.set(secret!, ring);
  }
  return ring;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function indexUnder(key: FieldKey, accountId: string, pairKey: string, value: string, scope: string | undefined): Promise<string> {
  // A fax's pairs have no scope: their entries were written before scopes existed.
  const input = scope === undefined ? [accountId, pairKey, value] : [scope, accountId, pairKey, value];
  return hex(await crypto.subtle.sign("HMAC", key.index, new TextEncoder().encode(JSON.stringify(input))));
}

const ciphers = new Map<string, FieldCipher>();

/** The cipher of DOCUMENT_ENCRYPTION_KEY (a missing secret fails on first use with document.key_unavailable). */
export function fieldCipher(env: Pick<Env, "DOCUMENT_ENCRYPTION_KEY">): FieldCipher {
  const secret = env.DOCUMENT_ENCRYPTION_KEY;
  const cached = ciphers.get(secret ?? "");
  if (cached) return cached;
  const ring = () => fieldKeys(secret);
  const cipher: FieldCipher = {
    async currentKeyId() {
      return (await ring())[0]!.id;
    },

    async keyIds() {
      return (await ring()).map((k) => k.id);
    },

    async seal(context, plain) {
      const key = (await ring())[0]!;
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const additionalData = new TextEncoder().encode(`${PREFIX}${key.id}\n${context}`);
      const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key.seal, new TextEncoder().encode(plain)));
      const out = new Uint8Array(12 + sealed.length);
      out.set(iv, 0);
      out.set(sealed, 12);
      return `${PREFIX}${key.id}.${toBase64(out)}`;
    },

    async open(context, sealed) {
      const keys = await ring();
      const id = sealedKeyId(sealed);
      const key = keys.find((k) => k.id === id);
      if (!key) {
        throw new ApiError("document.key_unavailable", {
          detail: `Stored fax data was encrypted under key ${id}, which is not in DOCUMENT_ENCRYPTION_KEY (keys there: ${keys.map((k) => k.id).join(", ")}).`,
        });
      }
      try {
        const bytes = fromBase64(sealed.slice(PREFIX.length + id.length + 1));
        const additionalData = new TextEncoder().encode(`${PREFIX}${key.id}\n${context}`);
        return new TextDecoder().decode(await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData }, key.seal, bytes.subarray(12)));
      } catch {
        throw new ApiError("document.undecryptable", { detail: `Stored fax data does not decrypt under key ${id}: it was changed or moved.` });
      }
    },

    async index(accountId, pairKey, value, scope) {
      const key = (await ring())[0]!;
      return { keyId: key.id, hash: await indexUnder(key, accountId, pairKey, value, scope) };
    },

    async indexes(accountId, pairKey, value, scope) {
      return Promise.all((await ring()).map((key) => indexUnder(key, accountId, pairKey, value, scope)));
    },
  };
  if (secret) ciphers.set(secret, cipher);
  return cipher;
}
