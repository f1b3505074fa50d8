/**
 * Bounds that keep hostile input from allocating without limit. Real fax pages are far inside them:
 * T.4 §2.2 widths go up to 4864 pels (A3 at 400 dpi) and an A4 superfine page has about 4400 rows.
 */
export const MAX_WIDTH = 32768;
export const MAX_HEIGHT = 65536;
/** Largest page bitmap, in bytes: 16 MiB, e.g. 1728 x 65536 rows (8 m of paper at fine) or 4864 x 27000. */
export const MAX_BITMAP_BYTES = 16 * 1024 * 1024;
/** Largest coded input accepted by the decoder. */
export const MAX_CODED_BYTES = 64 * 1024 * 1024;
/** Pages per TIFF file; a fax of more pages is split by the sender long before this. */
export const MAX_PAGES = 10000;
