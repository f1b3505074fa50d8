/**
 * The offline extractor (issue 14 point 3): no language model ships offline (TOOLCHAIN.md), so fields are
 * found the way a clerk finds them, by the labels forms print before a value ("Patient Name:", "PATIENT:",
 * "Patient's Name:", "DOB", "Birth Date"). A field's name and description become words; a label on the page
 * matches the field whose words it shares best, after folding the spellings forms use for the same thing.
 * The value runs from the colon to the next label on the line (two-column forms), or is the next line when
 * the label stands alone. Values are then normalised by type (extracted-values.ts); unfound fields are null.
 */
import type { ExtractionSchema, FieldSchema } from "./extraction-schema";
import { conformValue, type ExtractedData, type ExtractedValue } from "./extracted-values";

/** Spellings forms use for one idea, folded to one word sequence before comparing. */
const PHRASES: [RegExp, string][] = [
  [/\bd\.?\s?o\.?\s?b\.?(?=\s|$)/g, "date birth"],
  [/\bbirth\s?date\b|\bdate of birth\b|\bbirthdate\b|\bborn\b/g, "date birth"],
  [/\bss#|\bssn\b|\bsocial security (?:number|no)\b/g, "ssn"],
  [/\bph\b|\btel\b|\btelephone\b|\bphone number\b/g, "phone"],
  [/\bno\b|\bnum\b|\bnbr\b|#/g, "number"],
  [/\bamt\b/g, "amount"],
  [/\bdr\b|\bdoctor\b|\bprovider\b/g, "physician"],
  [/\bpt\b/g, "patient"],
  [/\binv\b/g, "invoice"],
  [/\bacct\b/g, "account"],
  [/\baddr\b/g, "address"],
];
const STOP = new Set(["the", "of", "a", "an", "for", "to", "in", "on", "and", "or", "s", "e", "g", "eg", "ie", "is", "this", "that", "as", "printed", "field", "value", "its", "their"]);

/**
 * What OCR does to printed labels, undone before they are compared: in a word that mixes letters with the
 * digits or bars that look like them, 0 is O, and 1, l or | is I in a capitalised word ("PATlENT", "Member 1D")
 * or l in a lowercase one ("C1aim", "Date 0f Birth"); in a dotted abbreviation a comma is a dot and a letter
 * read twice is one ("D.0O.B." and "D,O,B" are "D.O.B."). Words without letters (values, dates) are left alone.
 */
export function undoOcrConfusions(text: string): string {
  return text.replace(/[A-Za-z0-9|.,]+/g, (word) => {
    if (!/[A-Za-z]/.test(word)) return word;
    const capitals = !/[a-km-z]/.test(word) && /[A-Z]/.test(word);
    let t = capitals ? word.replace(/0/g, "O").replace(/[1l|]/g, "I") : word.replace(/0/g, "o").replace(/[1|]/g, "l");
    if (/^(?:[A-Za-z]+[.,])+[A-Za-z]*$/.test(t)) t = t.replace(/,/g, ".").replace(/(^|\.)([A-Za-z])\2+(?=\.|$)/g, "$1$2");
    return t;
  });
}

/** Lowercase words of a label or a field name, with possessives dropped, OCR's confusions undone and spellings folded. */
export function labelWords(text: string): string[] {
  let t = ` ${undoOcrConfusions(text)
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[_\-]+/g, " ")
    .toLowerCase()
    .replace(/['’]s\b/g, "")} `;
  for (const [pattern, replacement] of PHRASES) t = t.replace(pattern, ` ${replacement} `);
  return (t.match(/[a-z0-9]+/g) ?? []).filter((w) => !STOP.has(w));
}

interface Leaf {
  path: string[];
  field: FieldSchema;
  nameWords: string[];
  descriptionWords: Set<string>;
}

function leaves(properties: Record<string, FieldSchema>, path: string[] = []): Leaf[] {
  return Object.entries(properties).flatMap(([name, field]) => {
    const here = [...path, name];
    if (field.type === "object" && field.properties) return leaves(field.properties, here);
    // A nested field's words include its parent's ("patient" > "name"), which is how forms print them.
    const nameWords = [...new Set([...path.flatMap(labelWords), ...labelWords(name), ...(field.title ? labelWords(field.title) : [])])];
    return [{ path: here, field, nameWords, descriptionWords: new Set(labelWords(field.description ?? "")) }];
  });
}

/** How well a printed label names a field, 0 to 1: shared words over all words (Jaccard), or the label inside the description. */
function score(label: string[], leaf: Leaf): number {
  if (label.length === 0) return 0;
  const name = new Set(leaf.nameWords);
  const shared = label.filter((w) => name.has(w)).length;
  const jaccard = shared / new Set([...label, ...leaf.nameWords]).size;
  const described = label.every((w) => leaf.descriptionWords.has(w)) ? 0.6 : 0;
  return Math.max(jaccard, described);
}

const MIN_SCORE = 0.5;
const MAX_LABEL_WORDS = 5;

interface Candidate {
  leaf: Leaf;
  score: number;
  value: string;
}

interface Colon {
  /** Where the label's words start in the line, and where the colon is. */
  labelStart: number;
  colon: number;
  best: { leaf: Leaf; score: number } | null;
}

/** The label before each colon of a line: the run of 1-5 words ending at the colon that best names a field. */
function colonsOf(line: string, fields: Leaf[]): Colon[] {
  const out: Colon[] = [];
  for (const m of line.matchAll(/:/g)) {
    const colon = m.index;
    const before = line.slice(0, colon);
    const words = [...before.matchAll(/[^\s:]+/g)];
    let best: Colon["best"] = null;
    let labelStart = words.at(-1)?.index ?? colon;
    for (let k = 1; k <= Math.min(MAX_LABEL_WORDS, words.length); k++) {
      const start = words[words.length - k]!.index;
      const label = labelWords(before.slice(start));
      for (const leaf of fields) {
        const s = score(label, leaf);
        // A longer label must do strictly better: "John Smith DOB" is not a better label than "DOB".
        if (s >= MIN_SCORE && (!best || s > best.score)) {
          best = { leaf, score: s };
          labelStart = start;
        }
      }
    }
    out.push({ labelStart, colon, best });
  }
  return out;
}

/** Every label-value pair the page text offers for the schema's fields. */
function candidates(text: string, fields: Leaf[]): Candidate[] {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\s+/g, " ").trim());
  const out: Candidate[] = [];
  lines.forEach((line, i) => {
    const colons = colonsOf(line, fields);
    colons.forEach((c, j) => {
      if (!c.best) return;
      const end = colons[j + 1]?.labelStart ?? line.length;
      let value = line.slice(c.colon + 1, end).trim();
      const next = lines[i + 1];
      if (value === "" && next && !next.includes(":")) value = next;
      if (value !== "") out.push({ leaf: c.best.leaf, score: c.best.score, value });
    });
  });
  return out;
}

function setAt(data: ExtractedData, path: string[], value: ExtractedValue): void {
  let node: { [k: string]: ExtractedValue } = data;
  for (const segment of path.slice(0, -1)) node = node[segment] as { [k: string]: ExtractedValue };
  node[path.at(-1)!] = value;
}

function emptyData(properties: Record<string, FieldSchema>): ExtractedData {
  const out: ExtractedData = {};
  for (const [name, field] of Object.entries(properties)) out[name] = field.type === "object" && field.properties ? emptyData(field.properties) : null;
  return out;
}

/** Extracts the schema's fields from OCR text; a field no label names stays null. */
export function extractByLabels(schema: ExtractionSchema, text: string): ExtractedData {
  const fields = leaves(schema.properties);
  const data = emptyData(schema.properties);
  // Best label first; the first value that fits the field's type wins, each field filled once.
  const found = candidates(text, fields).sort((a, b) => b.score - a.score);
  const filled = new Set<Leaf>();
  for (const c of found) {
    if (filled.has(c.leaf)) continue;
    const value = conformValue(c.leaf.field, c.value);
    if (value === null || (Array.isArray(value) && value.length === 0)) continue;
    setAt(data, c.leaf.path, value);
    filled.add(c.leaf);
  }
  return data;
}
