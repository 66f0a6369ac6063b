-- Which advisories changed, in order, kept by triggers (the ingest worker writes as before): an incremental static
-- export reads the advisories changed since its last run instead of every advisory (export/delta.ts). An entry
-- names an advisory whose row, or whose listing by a repo (advisory_repo: its content hash, present or not),
-- was written; the ingest writes neither for an advisory that did not change. The ingest keeps the last 100,000
-- entries (db/advisory-store.ts); an export whose last run is older than what is kept reads every advisory.
CREATE TABLE advisory_log (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  advisory_pk INTEGER NOT NULL
) STRICT;

CREATE TRIGGER advisory_log_insert AFTER INSERT ON advisory BEGIN
  INSERT INTO advisory_log (advisory_pk) VALUES (NEW.pk);
END;
CREATE TRIGGER advisory_log_update AFTER UPDATE ON advisory BEGIN
  INSERT INTO advisory_log (advisory_pk) VALUES (NEW.pk);
END;
CREATE TRIGGER advisory_log_delete AFTER DELETE ON advisory BEGIN
  INSERT INTO advisory_log (advisory_pk) VALUES (OLD.pk);
END;
CREATE TRIGGER advisory_repo_log_insert AFTER INSERT ON advisory_repo BEGIN
  INSERT INTO advisory_log (advisory_pk) VALUES (NEW.advisory_pk);
END;
CREATE TRIGGER advisory_repo_log_update AFTER UPDATE ON advisory_repo BEGIN
  INSERT INTO advisory_log (advisory_pk) VALUES (NEW.advisory_pk);
END;
CREATE TRIGGER advisory_repo_log_delete AFTER DELETE ON advisory_repo BEGIN
  INSERT INTO advisory_log (advisory_pk) VALUES (OLD.advisory_pk);
END;

-- Which database this is: pks and log entries mean something only in the database that made them (a copy of it
-- included), so an export made from another database reads every advisory.
INSERT INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(16))));

-- An existing database's log starts empty: its first export after this migration reads every advisory once.
