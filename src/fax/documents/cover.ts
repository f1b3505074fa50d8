/**
 * The cover page: the first page of the fax, drawn with pdf-lib's standard Helvetica so it needs
 * no embedded font. Sizes are chosen for fax resolution: at 204×98 dpi a 14 pt line is about 19
 * scan lines tall, the least that stays legible after T.4 coding on a noisy line.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { PageSizes, StandardFonts, rgb, type PDFDocument, type PDFFont } from "pdf-lib";
import type { CoverPage } from "./types";

const [PAGE_WIDTH, PAGE_HEIGHT] = PageSizes.Letter;
const MARGIN = 54;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const LABEL_WIDTH = 96;
const FIELD_SIZE = 16;
const FIELD_LEADING = 21;
const MESSAGE_SIZE = 14;
const MESSAGE_LEADING = 19;
/** Long subjects and names wrap; beyond this many lines they are cut with an ellipsis. */
const MAX_FIELD_LINES = 3;
const BLACK = rgb(0, 0, 0);

interface TextRun {
  text: string;
  x: number;
  y: number;
  size: number;
  bold: boolean;
}

interface CoverLayout {
  pages: Array<{ runs: TextRun[]; rules: number[] }>;
}

export interface CoverFonts {
  regular: PDFFont;
  bold: PDFFont;
}

export async function embedCoverFonts(pdf: PDFDocument): Promise<CoverFonts> {
  return {
    regular: await pdf.embedFont(StandardFonts.Helvetica),
    bold: await pdf.embedFont(StandardFonts.HelveticaBold),
  };
}

/** How many pages the cover needs (a long message continues on further pages). */
export function coverPageCount(cover: CoverPage, fonts: CoverFonts): number {
  return layoutCover(cover, fonts, "000").pages.length;
}

/** Draws the cover pages at the front of `pdf`; `totalPages` is printed unless cover.pageCount is set. */
export function drawCover(pdf: PDFDocument, cover: CoverPage, fonts: CoverFonts, totalPages: number): number {
  const pagesText = String(cover.pageCount ?? totalPages) + " (including this cover)";
  const layout = layoutCover(cover, fonts, pagesText);
  layout.pages.forEach((spec, index) => {
    const page = pdf.insertPage(index, [PAGE_WIDTH, PAGE_HEIGHT]);
    for (const run of spec.runs) {
      page.drawText(run.text, { x: run.x, y: run.y, size: run.size, font: run.bold ? fonts.bold : fonts.regular, color: BLACK });
    }
    for (const y of spec.rules) {
      page.drawLine({ start: { x: MARGIN, y }, end: { x: PAGE_WIDTH - MARGIN, y }, thickness: 2, color: BLACK });
    }
  });
  return layout.pages.length;
}

function layoutCover(cover: CoverPage, fonts: CoverFonts, pagesText: string): CoverLayout {
  const clean = (text: string, font: PDFFont) => toWinAnsi(text, font);
  const pages: CoverLayout["pages"] = [];
  let runs: TextRun[] = [];
  let rules: number[] = [];
  let y = PAGE_HEIGHT - MARGIN - 64;

  runs.push({ text: "FAX", x: MARGIN, y, size: 72, bold: true });
  y -= 22;
  rules.push(y);
  y -= 34;

  const field = (label: string, values: string[]) => {
    runs.push({ text: label, x: MARGIN, y, size: FIELD_SIZE, bold: true });
    const lines = values.flatMap((v, i) =>
      wrap(clean(v, fonts.regular), i === 0 && values.length > 1 ? fonts.bold : fonts.regular, FIELD_SIZE, CONTENT_WIDTH - LABEL_WIDTH),
    );
    const shown = lines.length > MAX_FIELD_LINES ? [...lines.slice(0, MAX_FIELD_LINES - 1), ellipsize(lines[MAX_FIELD_LINES - 1] ?? "")] : lines;
    shown.forEach((line, i) => {
      const bold = values.length > 1 && i === 0;
      runs.push({ text: line, x: MARGIN + LABEL_WIDTH, y, size: FIELD_SIZE, bold });
      y -= FIELD_LEADING;
    });
    y -= 8;
  };

  field("To:", party(cover.to_name, cover.to));
  field("From:", party(cover.from_name, cover.from));
  field("Date:", [formatDate(cover.date)]);
  if (cover.subject !== undefined && cover.subject.trim() !== "") field("Subject:", [cover.subject.trim()]);
  field("Pages:", [pagesText]);

  rules.push(y + 6);
  y -= 30;

  const message = (cover.message ?? "").replace(/\r\n?/g, "\n").trimEnd();
  if (message !== "") {
    const lines = message.split("\n").flatMap((paragraph) => {
      const text = clean(paragraph, fonts.regular);
      return text.trim() === "" ? [""] : wrap(text, fonts.regular, MESSAGE_SIZE, CONTENT_WIDTH);
    });
    for (const line of lines) {
      if (y < MARGIN) {
        pages.push({ runs, rules });
        runs = [{ text: "FAX (continued)", x: MARGIN, y: PAGE_HEIGHT - MARGIN - 24, size: 24, bold: true }];
        rules = [PAGE_HEIGHT - MARGIN - 38];
        y = PAGE_HEIGHT - MARGIN - 72;
      }
      if (line !== "") runs.push({ text: line, x: MARGIN, y, size: MESSAGE_SIZE, bold: false });
      y -= MESSAGE_LEADING;
    }
  }
  pages.push({ runs, rules });
  return { pages };
}

function party(name: string | undefined, number: string): string[] {
  const formatted = parsePhoneNumberFromString(number)?.formatInternational() ?? number;
  const trimmed = name?.trim() ?? "";
  return trimmed === "" ? [formatted] : [trimmed, formatted];
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** UTC, spelled out: the recipient's time zone is unknown, and "03/04" reads differently per country. */
export function formatDate(date: Date): string {
  const hh = String(date.getUTCHours()).padStart(2, "0");
  const mm = String(date.getUTCMinutes()).padStart(2, "0");
  return `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

/**
 * The standard 14 fonts only encode WinAnsi (PDF 1.7 Annex D.2); pdf-lib throws on anything else.
 * Keep what encodes, fall back to the base letter for accented forms outside WinAnsi (ł stays "?",
 * ő becomes "o"), and show "?" for the rest rather than refusing the fax.
 */
export function toWinAnsi(text: string, font: PDFFont): string {
  const supported = characterSet(font);
  let out = "";
  for (const ch of text.normalize("NFC")) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === "\t") out += "    ";
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    else if (supported.has(cp)) out += ch;
    else {
      const base = ch.normalize("NFD").replace(/\p{M}/gu, "");
      out += base !== "" && [...base].every((c) => supported.has(c.codePointAt(0) ?? 0)) ? base : "?";
    }
  }
  return out;
}

const charsets = new WeakMap<PDFFont, Set<number>>();
function characterSet(font: PDFFont): Set<number> {
  let set = charsets.get(font);
  if (set === undefined) {
    set = new Set(font.getCharacterSet());
    charsets.set(font, set);
  }
  return set;
}

/** Greedy word wrap; a word longer than the line (a URL) is broken between characters. */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const fits = (s: string) => font.widthOfTextAtSize(s, size) <= width;
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/ +/)) {
    const candidate = line === "" ? word : `${line} ${word}`;
    if (fits(candidate)) {
      line = candidate;
      continue;
    }
    if (line !== "") lines.push(line);
    line = "";
    let rest = word;
    while (!fits(rest)) {
      // Binary search for the longest prefix that fits (at least one character per line).
      let lo = 1;
      let hi = rest.length - 1;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fits(rest.slice(0, mid))) lo = mid;
        else hi = mid - 1;
      }
      const cut = lo;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    line = rest;
  }
  if (line !== "" || lines.length === 0) lines.push(line);
  return lines;
}

function ellipsize(line: string): string {
  return line.length > 3 ? `${line.slice(0, -3)}...` : `${line}...`;
}
