/**
 * The one door to R2 (issue 17 point 4): every object the platform writes is encrypted at rest, and every
 * read decrypts, so code that stores documents through here is covered without thinking about it.
 * (test/source/document-storage.test.ts checks that nothing else in src/ touches the DOCUMENTS binding.)
 *
 * Envelope encryption: each object gets its own random 256-bit data key; the data key is wrapped
 * (AES-256-GCM) by a key-encryption key (KEK) from the secret DOCUMENT_ENCRYPTION_KEY, a comma-separated
 * list of base64 32-byte keys, the first of which wraps new objects. A KEK's id is the first 16 hex digits
 * of its SHA-256, so the list can be reordered freely; an old key stays in the list until
 * `npm run documents:rewrap` has moved its objects to the first key. The wrap is bound to the object's R2
 * key, so an object copied to another fax's key does not decrypt there.
 *
 * Layout of an object (all integers big-endian):
 *   "EFXE" | u16 header length | header (JSON: v, kid, wk, np, cs, size) | chunks
 * The body is cut into chunks of `cs` plaintext bytes, each sealed with AES-256-GCM (NIST SP 800-38D):
 * nonce = np (8 random bytes) | u32 chunk index, additional data = "EFXE" | u32 index | u8 last-chunk flag,
 * so chunks cannot be reordered, dropped or the tail cut without the next decryption failing. Chunking lets
 * downloads decrypt as they stream and lets a byte range fetch only the chunks it covers.
 * Objects written before encryption (no "EFXE" magic) are read as they are; `documents:rewrap` seals them.
 */
import { ApiError } from "../errors/api-error";
import { fromBase64, sha256Hex, toBase64 } from "../lib/crypto";

const MAGIC = new Uint8Array([0x45, 0x46, 0x58, 0x45]); // "EFXE"
const CHUNK_SIZE = 64 * 1024;
const TAG_BYTES = 16;
/** Enough for any header this version writes (about 200 bytes), so one ranged read usually gets it whole. */
const HEADER_PROBE_BYTES = 512;
/** customMetadata name of the plaintext size, so head() needs no read of the object. */
const META_SIZE = "efx-size";

interface Header {
  v: 1;
  /** Id of the KEK that wrapped the data key. */
  kid: string;
  /** base64: 12-byte IV | wrapped data key | tag. */
  wk: string;
  /** base64: 8-byte nonce prefix. */
  np: string;
  /** Plaintext bytes per chunk. */
  cs: number;
  /** Plaintext size. */
  size: number;
}

export interface Kek {
  id: string;
  key: CryptoKey;
}

const keyrings = new Map<string, Promise<Kek[]>>();

/**
 * The raw keys of DOCUMENT_ENCRYPTION_KEY with their ids, the first one current: the KEKs here, and what
 * ./fields.ts derives its D1 field and blind-index keys from (so one secret, one rotation, covers both).
 */
export function keyMaterial(secret: string | undefined): Promise<Array<{ id: string; bytes: Uint8Array }>> {
  if (!secret?.trim()) {
    throw new ApiError("document.key_unavailable", {
      detail: "DOCUMENT_ENCRYPTION_KEY is not set (base64 of 32 random bytes; `npm start` generates one; README 'Encryption at rest').",
    });
  }
  return Promise.all(
    secret.split(",").map(async (part) => {
      const bytes = fromBase64(part.trim());
      if (bytes.length !== 32) throw new Error("each key in DOCUMENT_ENCRYPTION_KEY must be base64 of exactly 32 bytes");
      return { id: (await sha256Hex(bytes)).slice(0, 16), bytes };
    }),
  );
}

/** The KEKs of DOCUMENT_ENCRYPTION_KEY, the first one current. */
export function keyring(secret: string | undefined): Promise<Kek[]> {
  let ring = keyrings.get(secret ?? "");
  if (!ring) {
    ring = keyMaterial(secret).then((keys) =>
      Promise.all(keys.map(async ({ id, bytes }) => ({ id, key: await crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]) }))),
    );
    keyrings.set(secret!, ring);
  }
  return ring;
}

function chunkNonce(prefix: Uint8Array, index: number): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(prefix, 0);
  new DataView(nonce.buffer).setUint32(8, index);
  return nonce;
}

function chunkAad(index: number, last: boolean): Uint8Array {
  const aad = new Uint8Array(9);
  aad.set(MAGIC, 0);
  new DataView(aad.buffer).setUint32(4, index);
  aad[8] = last ? 1 : 0;
  return aad;
}

/** Additional data of a wrapped data key: the magic, the KEK's id and the object's R2 key. */
function wrapAad(kid: string, objectKey: string): Uint8Array {
  return new TextEncoder().encode(`EFXE\n${kid}\n${objectKey}`);
}

function chunkCount(size: number, cs: number): number {
  return Math.max(1, Math.ceil(size / cs));
}

async function wrapDataKey(kek: Kek, objectKey: string, dataKey: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: wrapAad(kek.id, objectKey) }, kek.key, dataKey));
  const out = new Uint8Array(12 + sealed.length);
  out.set(iv, 0);
  out.set(sealed, 12);
  return toBase64(out);
}

/** The raw data key of an object (imported for decryption, or re-wrapped under another KEK). */
async function unwrapRaw(ring: Kek[], objectKey: string, header: Header): Promise<Uint8Array> {
  const kek = ring.find((k) => k.id === header.kid);
  if (!kek) {
    throw new ApiError("document.key_unavailable", {
      detail: `The document was encrypted under key ${header.kid}, which is not in DOCUMENT_ENCRYPTION_KEY (keys there: ${ring.map((k) => k.id).join(", ")}).`,
    });
  }
  try {
    const wrapped = fromBase64(header.wk);
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: wrapped.subarray(0, 12), additionalData: wrapAad(kek.id, objectKey) }, kek.key, wrapped.subarray(12)));
  } catch {
    throw new ApiError("document.undecryptable", { detail: `The data key of the document does not unwrap under key ${header.kid}.` });
  }
}

async function unwrapDataKey(ring: Kek[], objectKey: string, header: Header): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", await unwrapRaw(ring, objectKey, header), { name: "AES-GCM" }, false, ["decrypt"]);
}

function encodeHeader(header: Header): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(6 + json.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint16(4, json.length);
  out.set(json, 6);
  return out;
}

function isSealed(prefix: Uint8Array): boolean {
  return prefix.length >= 6 && MAGIC.every((b, i) => prefix[i] === b);
}

function headerLength(prefix: Uint8Array): number {
  return new DataView(prefix.buffer, prefix.byteOffset).getUint16(4);
}

function parseHeader(bytes: Uint8Array): Header {
  let header: Partial<Header>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Header>;
  } catch {
    throw new ApiError("document.undecryptable", { detail: "The document's encryption header is damaged." });
  }
  const valid =
    header?.v === 1 &&
    typeof header.kid === "string" &&
    typeof header.wk === "string" &&
    typeof header.np === "string" &&
    Number.isSafeInteger(header.cs) &&
    header.cs! > 0 &&
    Number.isSafeInteger(header.size) &&
    header.size! >= 0;
  if (!valid) throw new ApiError("document.undecryptable", { detail: "The document's encryption header is not one this version reads." });
  return header as Header;
}

/** Seals `plain` under the current KEK for the R2 key `objectKey`: the whole object's bytes. */
export async function sealDocument(ring: Kek[], objectKey: string, plain: Uint8Array): Promise<Uint8Array> {
  const kek = ring[0]!;
  const dataKeyBytes = crypto.getRandomValues(new Uint8Array(32));
  const dataKey = await crypto.subtle.importKey("raw", dataKeyBytes, { name: "AES-GCM" }, false, ["encrypt"]);
  const np = crypto.getRandomValues(new Uint8Array(8));
  const header = encodeHeader({ v: 1, kid: kek.id, wk: await wrapDataKey(kek, objectKey, dataKeyBytes), np: toBase64(np), cs: CHUNK_SIZE, size: plain.length });
  const count = chunkCount(plain.length, CHUNK_SIZE);
  const out = new Uint8Array(header.length + plain.length + count * TAG_BYTES);
  out.set(header, 0);
  let at = header.length;
  for (let i = 0; i < count; i++) {
    const piece = plain.subarray(i * CHUNK_SIZE, Math.min(plain.length, (i + 1) * CHUNK_SIZE));
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: chunkNonce(np, i), additionalData: chunkAad(i, i === count - 1) }, dataKey, piece));
    out.set(sealed, at);
    at += sealed.length;
  }
  return out;
}

/** Reads exactly `n` bytes from a stream reader, keeping what it read past them. */
class ByteReader {
  private buffered = new Uint8Array(0);
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** Up to `n` bytes: fewer only at the end of the stream. */
  async read(n: number): Promise<Uint8Array> {
    while (this.buffered.length < n) {
      const { done, value } = await this.reader.read();
      if (done) break;
      const next = new Uint8Array(this.buffered.length + value.length);
      next.set(this.buffered, 0);
      next.set(value, this.buffered.length);
      this.buffered = next;
    }
    const out = this.buffered.subarray(0, Math.min(n, this.buffered.length));
    this.buffered = this.buffered.subarray(out.length);
    return out;
  }

  /** `before`, what is buffered, and the rest of the stream, unchanged. */
  rest(before: Uint8Array): ReadableStream<Uint8Array> {
    const first = new Uint8Array(before.length + this.buffered.length);
    first.set(before, 0);
    first.set(this.buffered, before.length);
    const reader = this.reader;
    let sentFirst = first.length === 0;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!sentFirst) {
          sentFirst = true;
          controller.enqueue(first);
          return;
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

/**
 * Decrypts chunks `first..` of a sealed body as they stream in from `source` (which starts at chunk
 * `first`); `skip` plaintext bytes are dropped from the front and at most `take` are passed on.
 * The first chunk is always authenticated, even when nothing of it is wanted (an empty document).
 */
function openChunks(source: ByteReader, header: Header, dataKey: CryptoKey, first: number, skip: number, take: number): ReadableStream<Uint8Array> {
  const np = fromBase64(header.np);
  const count = chunkCount(header.size, header.cs);
  let index = first;
  let toSkip = skip;
  let left = take;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if ((left <= 0 && index > first) || index >= count) {
        controller.close();
        await source.cancel().catch(() => undefined);
        return;
      }
      const last = index === count - 1;
      const expected = (last ? header.size - index * header.cs : header.cs) + TAG_BYTES;
      const sealed = await source.read(expected);
      if (sealed.length !== expected) {
        controller.error(new ApiError("document.undecryptable", { detail: `The stored document ends inside chunk ${index}: it was cut.` }));
        return;
      }
      let plain: Uint8Array;
      try {
        plain = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: chunkNonce(np, index), additionalData: chunkAad(index, last) }, dataKey, sealed));
      } catch {
        controller.error(new ApiError("document.undecryptable", { detail: `Chunk ${index} of the stored document does not decrypt: it was changed.` }));
        return;
      }
      index++;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, plain.length);
        plain = plain.subarray(dropped);
        toSkip -= dropped;
      }
      if (plain.length > left) plain = plain.subarray(0, left);
      left -= plain.length;
      if (plain.length > 0) controller.enqueue(plain);
    },
    cancel: () => source.cancel(),
  });
}

/**
 * Decrypts the first chunk before the caller gets the stream: a document that does not decrypt at all
 * (tampered, cut, wrong key material) fails the request with a problem instead of a cut-off 200.
 */
async function checkedFirst(stream: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const first = await reader.read();
  let sentFirst = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentFirst) {
        sentFirst = true;
        if (first.done) return controller.close();
        return controller.enqueue(first.value);
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

export interface StoredDocument {
  /** The plaintext (or the requested range of it), decrypted as it streams. */
  body: ReadableStream<Uint8Array>;
  /** Plaintext size of the whole object. */
  size: number;
  contentType: string | undefined;
  customMetadata: Record<string, string>;
  /** R2's entity tag of the stored object (changes whenever the object is written, re-wraps included). */
  etag: string;
  /** Set when a range was asked for: the plaintext bytes `offset..offset+length-1` are in body. */
  range?: { offset: number; length: number };
  bytes(): Promise<Uint8Array>;
}

export interface PutOptions {
  contentType?: string;
  customMetadata?: Record<string, string>;
}

/**
 * One page of a re-wrap. `unavailable` counts objects under a key no longer in DOCUMENT_ENCRYPTION_KEY
 * (left as they are); `sealed` counts objects stored before encryption that were encrypted now.
 */
export interface RewrapPage {
  scanned: number;
  rewrapped: number;
  sealed: number;
  unavailable: number;
  cursor: string | null;
}

export interface DocumentStore {
  put(key: string, data: Uint8Array | ArrayBuffer | string, options?: PutOptions): Promise<void>;
  /** The object's plaintext, or null. `range` is in plaintext bytes (clamped to the object). */
  get(key: string, options?: { range?: { offset: number; length?: number } }): Promise<StoredDocument | null>;
  /** Whether the object exists, and its plaintext size. */
  head(key: string): Promise<{ size: number; contentType: string | undefined } | null>;
  delete(keys: string | string[]): Promise<void>;
  list(options: R2ListOptions): Promise<R2Objects>;
  /**
   * Moves a page of objects to the current KEK (only their wrapped data key changes, not the sealed
   * chunks) and encrypts objects stored before encryption; returns counts and where to go on.
   */
  rewrap(options: { cursor?: string; limit?: number; prefix?: string }): Promise<RewrapPage>;
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function stored(object: R2Object, body: ReadableStream<Uint8Array>, size: number, range?: { offset: number; length: number }): StoredDocument {
  const { [META_SIZE]: _size, ...customMetadata } = object.customMetadata ?? {};
  return { body, size, contentType: object.httpMetadata?.contentType, customMetadata, etag: object.httpEtag, range, bytes: () => collect(body) };
}

type Found = { kind: "missing" } | { kind: "plain"; size: number } | { kind: "sealed"; header: Header; bodyAt: number };

/** What starts the stored object: its encryption header, or plain bytes of an object stored before encryption. */
async function readHeader(bucket: R2Bucket, key: string): Promise<Found> {
  const probe = await bucket.get(key, { range: { offset: 0, length: HEADER_PROBE_BYTES } });
  if (!probe) return { kind: "missing" };
  let bytes = new Uint8Array(await probe.arrayBuffer());
  if (!isSealed(bytes)) return { kind: "plain", size: probe.size };
  const bodyAt = 6 + headerLength(bytes);
  if (bytes.length < bodyAt) {
    const whole = await bucket.get(key, { range: { offset: 0, length: bodyAt } });
    if (!whole) return { kind: "missing" };
    bytes = new Uint8Array(await whole.arrayBuffer());
  }
  return { kind: "sealed", header: parseHeader(bytes.subarray(6, bodyAt)), bodyAt };
}

export function documentStore(env: Pick<Env, "DOCUMENTS" | "DOCUMENT_ENCRYPTION_KEY">): DocumentStore {
  const bucket = env.DOCUMENTS;
  return {
    async put(key, data, options = {}) {
      const plain = typeof data === "string" ? new TextEncoder().encode(data) : data instanceof Uint8Array ? data : new Uint8Array(data);
      await bucket.put(key, await sealDocument(await keyring(env.DOCUMENT_ENCRYPTION_KEY), key, plain), {
        httpMetadata: options.contentType ? { contentType: options.contentType } : undefined,
        customMetadata: { ...options.customMetadata, [META_SIZE]: String(plain.length) },
      });
    },

    async get(key, options = {}) {
      const wanted = options.range;
      if (wanted) {
        // Whether the object is sealed is read from its bytes, never from metadata that could be lost.
        const found = await readHeader(bucket, key);
        if (found.kind === "missing") return null;
        if (found.kind === "plain") {
          // Stored before encryption: R2 serves the range itself.
          const offset = Math.min(wanted.offset, found.size);
          const length = Math.min(wanted.length ?? found.size - offset, found.size - offset);
          const object = await bucket.get(key, { range: { offset, length } });
          return object ? stored(object, object.body, found.size, { offset, length }) : null;
        }
        const { header, bodyAt } = found;
        const offset = Math.min(wanted.offset, header.size);
        const length = Math.min(wanted.length ?? header.size - offset, header.size - offset);
        const dataKey = await unwrapDataKey(await keyring(env.DOCUMENT_ENCRYPTION_KEY), key, header);
        const count = chunkCount(header.size, header.cs);
        const first = Math.min(Math.floor(offset / header.cs), count - 1);
        const lastChunk = Math.max(first, Math.min(count - 1, Math.floor((offset + Math.max(length, 1) - 1) / header.cs)));
        const sealedStart = bodyAt + first * (header.cs + TAG_BYTES);
        const sealedEnd = bodyAt + (lastChunk + 1) * (header.cs + TAG_BYTES);
        const object = await bucket.get(key, { range: { offset: sealedStart, length: sealedEnd - sealedStart } });
        if (!object) return null;
        const body = await checkedFirst(openChunks(new ByteReader(object.body.getReader()), header, dataKey, first, offset - first * header.cs, length));
        return stored(object, body, header.size, { offset, length });
      }

      const object = await bucket.get(key);
      if (!object) return null;
      const source = new ByteReader(object.body.getReader());
      const prefix = await source.read(6);
      if (!isSealed(prefix)) return stored(object, source.rest(prefix), object.size);
      const header = parseHeader(await source.read(headerLength(prefix)));
      const dataKey = await unwrapDataKey(await keyring(env.DOCUMENT_ENCRYPTION_KEY), key, header);
      return stored(object, await checkedFirst(openChunks(source, header, dataKey, 0, 0, header.size)), header.size);
    },

    async head(key) {
      const object = await bucket.head(key);
      if (!object) return null;
      const recorded = object.customMetadata?.[META_SIZE];
      let size = object.size;
      if (recorded !== undefined) size = Number(recorded);
      else if (object.size >= 6) {
        // No recorded size (stored before encryption, or metadata lost): the bytes say whether it is sealed.
        const found = await readHeader(bucket, key);
        if (found.kind === "missing") return null;
        if (found.kind === "sealed") size = found.header.size;
      }
      return { size, contentType: object.httpMetadata?.contentType };
    },

    async delete(keys) {
      await bucket.delete(keys);
    },

    list(options) {
      return bucket.list(options);
    },

    async rewrap({ cursor, limit = 100, prefix }) {
      const ring = await keyring(env.DOCUMENT_ENCRYPTION_KEY);
      const current = ring[0]!;
      const page = await bucket.list({ cursor, limit, prefix });
      const counts = { rewrapped: 0, sealed: 0, unavailable: 0 };
      for (const listed of page.objects) {
        const object = await bucket.get(listed.key);
        if (!object) continue;
        const bytes = new Uint8Array(await object.arrayBuffer());
        let out: Uint8Array;
        let size: number;
        if (isSealed(bytes)) {
          const bodyAt = 6 + headerLength(bytes);
          const header = parseHeader(bytes.subarray(6, bodyAt));
          if (header.kid === current.id) continue;
          if (!ring.some((k) => k.id === header.kid)) {
            counts.unavailable++;
            continue;
          }
          const dataKey = await unwrapRaw(ring, listed.key, header);
          const newHeader = encodeHeader({ ...header, kid: current.id, wk: await wrapDataKey(current, listed.key, dataKey) });
          out = new Uint8Array(newHeader.length + bytes.length - bodyAt);
          out.set(newHeader, 0);
          out.set(bytes.subarray(bodyAt), newHeader.length);
          size = header.size;
        } else {
          out = await sealDocument(ring, listed.key, bytes);
          size = bytes.length;
        }
        // Only if nobody wrote or deleted the object meanwhile (a purge must not be undone by a re-wrap).
        const written = await bucket.put(listed.key, out, {
          httpMetadata: object.httpMetadata,
          customMetadata: { ...object.customMetadata, [META_SIZE]: String(size) },
          onlyIf: { etagMatches: object.etag },
        });
        if (written) counts[isSealed(bytes) ? "rewrapped" : "sealed"]++;
      }
      return { scanned: page.objects.length, ...counts, cursor: page.truncated ? page.cursor : null };
    },
  };
}
