-- A repo the operator removed with `npm run repos -- remove ... --withdraw` (db/repo-admin.ts). Its row
-- stays: it holds the last content of the advisories it alone listed, now withdrawn, so their pages keep
-- it. A removed repo is not shown on /products or in the API; a product whose repos are all removed is
-- not either. Ingesting the repo again brings it back (db/repo-store.ts). NULL for a repo in use.
ALTER TABLE repo ADD COLUMN removed_at TEXT;
