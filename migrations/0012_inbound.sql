-- Inbound intelligence (issue 14 point 1): a page the OCR service could not take is `retrying` until a later
-- queue job reads it or OCR_PAGE_ATTEMPTS readings have failed; `attempts` counts them. Mirrored in src/db/schema.ts.
ALTER TABLE `fax_page_texts` ADD `attempts` integer NOT NULL DEFAULT 1;
