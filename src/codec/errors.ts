/**
 * The codec's one error type. `code` is stable and dotted (the API's error catalog maps these when a
 * user-supplied document or an inbound fax is rejected):
 * - `tiff.malformed`    the file is not a readable TIFF (bad header, offsets outside the file, IFD loop, missing tags)
 * - `tiff.unsupported`  a valid TIFF that is not bilevel fax (photometric, bits per sample, uncompressed mode, ...)
 * - `tiff.too_large`    dimensions or page count beyond the codec's limits (see limits.ts)
 * - `codec.too_large`   a bitmap or coded stream beyond the codec's limits
 * - `codec.invalid_argument` a caller error (width 0, data too short for the bitmap, unknown scheme)
 * - `codec.unavailable` the WASM module was not loaded (workerd: import src/codec/worker.ts first)
 * - `pbm.malformed`     the CLI's PBM reader met something that is not binary PBM (P4)
 * - `png.invalid_argument` raster input that does not match its stated size
 */
export class CodecError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CodecError";
    this.code = code;
  }
}
