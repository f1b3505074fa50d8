/**
 * Documents to send: Blobs (File included), bytes, web ReadableStreams or any async iterable of bytes (a Node
 * Readable is one), optionally with a filename and content type. File paths are read by the Node entry
 * (node.ts), so this core imports nothing from node:. The content type, when not given, comes from the
 * file's first bytes: the API accepts PDF, PNG, JPEG and TIFF.
 */
export type FileData = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
export type FileInput = FileData | { data: FileData; filename?: string; contentType?: string } | string;

export interface NamedBlob {
  blob: Blob;
  filename: string;
}

/** Reads a path into a file (set by the Node entry; a string input anywhere else is an error). */
export type PathReader = (path: string) => Promise<{ data: Blob; filename: string }>;

const SIGNATURES: [number[], string][] = [
  [[0x25, 0x50, 0x44, 0x46], "application/pdf"],
  [[0x89, 0x50, 0x4e, 0x47], "image/png"],
  [[0xff, 0xd8, 0xff], "image/jpeg"],
  [[0x49, 0x49, 0x2a, 0x00], "image/tiff"],
  [[0x4d, 0x4d, 0x00, 0x2a], "image/tiff"],
];

export function sniffContentType(head: Uint8Array): string | undefined {
  return SIGNATURES.find(([magic]) => magic.every((byte, i) => head[i] === byte))?.[1];
}

const EXTENSIONS: Record<string, string> = { "application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif" };

async function toBlob(data: FileData): Promise<Blob> {
  if (data instanceof Blob) return data;
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) return new Blob([data as Uint8Array<ArrayBuffer>]);
  if (typeof (data as ReadableStream<Uint8Array>).getReader === "function") return new Response(data as ReadableStream<Uint8Array>).blob();
  const chunks: Uint8Array[] = [];
  for await (const chunk of data as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return new Blob(chunks as Uint8Array<ArrayBuffer>[]);
}

export async function namedBlob(input: FileInput, index: number, readPath?: PathReader): Promise<NamedBlob> {
  let data: FileData;
  let filename: string | undefined;
  let contentType: string | undefined;
  if (typeof input === "string") {
    if (!readPath) throw new TypeError("File paths work in Node (import from \"edgefax\" there); elsewhere pass a Blob, bytes or a stream.");
    ({ data, filename } = await readPath(input));
  } else if (typeof input === "object" && "data" in input && !(input instanceof Blob)) {
    ({ data, filename, contentType } = input);
  } else data = input;
  let blob = await toBlob(data);
  filename ??= typeof (blob as File).name === "string" && (blob as File).name ? (blob as File).name : undefined;
  contentType ??= blob.type || sniffContentType(new Uint8Array(await blob.slice(0, 4).arrayBuffer()));
  if (contentType && blob.type !== contentType) blob = new Blob([blob], { type: contentType });
  return { blob, filename: filename ?? `document-${index + 1}.${EXTENSIONS[contentType ?? ""] ?? "bin"}` };
}
