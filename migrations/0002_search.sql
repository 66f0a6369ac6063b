-- Full-text search over advisories (FTS5) and the source package name of every package row, so
-- lists can filter by source or binary name through an index. Backfilled from what 0001 stored;
-- rpm_source_name() is registered by db/migrate.ts (the rule is domain/source-name.ts).

ALTER TABLE advisory_package ADD COLUMN src_name TEXT;
UPDATE advisory_package SET src_name = rpm_source_name(src);
CREATE INDEX advisory_package_src_name ON advisory_package (src_name);

-- rowid = advisory.pk. Kept current by db/advisory-store.ts for every advisory it writes.
-- '-', '.', '_' and ':' split tokens, so "CVE-2023-1234" and "openssl-libs" are searched as phrases.
CREATE VIRTUAL TABLE advisory_fts USING fts5(ident, title, description, packages, cves, tokenize = 'unicode61');

INSERT INTO advisory_fts (rowid, ident, title, description, packages, cves)
SELECT a.pk, a.id, coalesce(a.title, ''), coalesce(a.description, ''),
  coalesce((SELECT group_concat(n, ' ') FROM (SELECT name AS n FROM advisory_package WHERE advisory_pk = a.pk
     UNION SELECT src_name FROM advisory_package WHERE advisory_pk = a.pk AND src_name IS NOT NULL)), ''),
  coalesce((SELECT group_concat(cve, ' ') FROM (SELECT DISTINCT cve FROM advisory_cve WHERE advisory_pk = a.pk)), '')
FROM advisory a;

-- When the data last changed (the generation's timestamp): Last-Modified for pages, feeds and the API.
INSERT INTO meta (key, value) VALUES ('data_changed_at', coalesce((SELECT max(last_changed) FROM advisory), '1970-01-01T00:00:00Z'));
-- Goes up with every ingest run that records anything (also unchanged runs): the products page's version.
INSERT INTO meta (key, value) VALUES ('state_generation', '0');
