-- Products, repos, advisories and everything updateinfo.xml says about them, plus the ingest run log.
-- Child rows (references, collections, packages, CVEs) are kept per repo so that one repo's
-- file can be replaced without touching what another repo of the same product contributed.

CREATE TABLE product (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE repo (
  id                    INTEGER PRIMARY KEY,
  product_id            TEXT NOT NULL REFERENCES product(id),
  url                   TEXT NOT NULL,          -- configured baseurl or mirrorlist URL, variables substituted
  kind                  TEXT NOT NULL CHECK (kind IN ('baseurl', 'mirrorlist')),
  name                  TEXT,
  base_url              TEXT,                   -- the repo root the last successful run used
  updateinfo_url        TEXT,
  checksum_type         TEXT,
  checksum              TEXT,                   -- of updateinfo as downloaded, last ingested
  repomd_etag           TEXT,
  repomd_last_modified  TEXT,
  last_run_at           TEXT,
  last_success_at       TEXT,
  last_status           TEXT,
  last_error            TEXT,
  UNIQUE (product_id, url)
) STRICT;

CREATE TABLE advisory (
  pk                INTEGER PRIMARY KEY,
  product_id        TEXT NOT NULL REFERENCES product(id),
  id                TEXT NOT NULL,
  type              TEXT,
  status            TEXT,
  version           TEXT,
  from_address      TEXT,                  -- <update from="...">
  author            TEXT,
  title             TEXT,
  issued            TEXT,                  -- ISO 8601 UTC, NULL when absent or unparseable
  issued_raw        TEXT,
  updated           TEXT,
  updated_raw       TEXT,
  severity          TEXT,                  -- lower-cased, NULL when none
  severity_raw      TEXT,
  summary           TEXT,
  description       TEXT,
  solution          TEXT,
  rights            TEXT,
  release           TEXT,
  pushcount         TEXT,
  reboot_suggested  INTEGER NOT NULL DEFAULT 0,   -- update-level flag OR any package flag
  withdrawn         INTEGER NOT NULL DEFAULT 0,
  withdrawn_at      TEXT,
  first_seen        TEXT NOT NULL,
  last_changed      TEXT NOT NULL,
  UNIQUE (product_id, id)
) STRICT;
CREATE INDEX advisory_issued ON advisory (issued);
CREATE INDEX advisory_updated ON advisory (updated);
CREATE INDEX advisory_severity ON advisory (severity);
CREATE INDEX advisory_type ON advisory (type);

-- Which repos list the advisory now. present = 0 keeps the last content of an advisory that
-- disappeared from every repo of its product (it is withdrawn, never deleted).
CREATE TABLE advisory_repo (
  advisory_pk   INTEGER NOT NULL REFERENCES advisory(pk),
  repo_id       INTEGER NOT NULL REFERENCES repo(id),
  content_hash  TEXT NOT NULL,
  present       INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (advisory_pk, repo_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX advisory_repo_repo ON advisory_repo (repo_id, advisory_pk);

CREATE TABLE advisory_reference (
  advisory_pk  INTEGER NOT NULL REFERENCES advisory(pk),
  repo_id      INTEGER NOT NULL REFERENCES repo(id),
  seq          INTEGER NOT NULL,
  type         TEXT,
  ref_id       TEXT,
  href         TEXT,
  title        TEXT
) STRICT;
CREATE INDEX advisory_reference_advisory ON advisory_reference (advisory_pk, repo_id);

CREATE TABLE advisory_cve (
  advisory_pk  INTEGER NOT NULL REFERENCES advisory(pk),
  repo_id      INTEGER NOT NULL REFERENCES repo(id),
  cve          TEXT NOT NULL,
  PRIMARY KEY (advisory_pk, repo_id, cve)
) STRICT, WITHOUT ROWID;
CREATE INDEX advisory_cve_cve ON advisory_cve (cve);

-- Like advisory_reference and advisory_cve, every per-repo child of an advisory carries (advisory_pk,
-- repo_id): the shapes repeat on purpose, one table per updateinfo element.
CREATE TABLE advisory_collection (
  pk           INTEGER PRIMARY KEY,
  advisory_pk  INTEGER NOT NULL REFERENCES advisory(pk),
  repo_id      INTEGER NOT NULL REFERENCES repo(id),
  seq          INTEGER NOT NULL,
  short        TEXT,
  name         TEXT
) STRICT;
CREATE INDEX advisory_collection_advisory ON advisory_collection (advisory_pk, repo_id);

CREATE TABLE advisory_module (
  collection_pk  INTEGER NOT NULL REFERENCES advisory_collection(pk),
  seq            INTEGER NOT NULL,
  name           TEXT,
  stream         TEXT,
  version        TEXT,                    -- exceeds 2^53: kept as text
  context        TEXT,
  arch           TEXT
) STRICT;
CREATE INDEX advisory_module_collection ON advisory_module (collection_pk);

CREATE TABLE advisory_package (
  advisory_pk        INTEGER NOT NULL REFERENCES advisory(pk),
  repo_id            INTEGER NOT NULL REFERENCES repo(id),
  collection_pk      INTEGER NOT NULL REFERENCES advisory_collection(pk),
  seq                INTEGER NOT NULL,
  name               TEXT NOT NULL,
  epoch              TEXT NOT NULL DEFAULT '0',   -- missing means 0; text because rpm allows large values
  version            TEXT NOT NULL,
  release            TEXT NOT NULL,
  arch               TEXT NOT NULL,
  src                TEXT,
  filename           TEXT,
  sum_type           TEXT,
  sum                TEXT,
  reboot_suggested   INTEGER NOT NULL DEFAULT 0,
  restart_suggested  INTEGER NOT NULL DEFAULT 0,
  relogin_suggested  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX advisory_package_advisory ON advisory_package (advisory_pk, repo_id);
CREATE INDEX advisory_package_name ON advisory_package (name);
CREATE INDEX advisory_package_collection ON advisory_package (collection_pk);

-- Earlier issued/updated values of an advisory that changed.
CREATE TABLE advisory_history (
  advisory_pk   INTEGER NOT NULL REFERENCES advisory(pk),
  run_id        INTEGER NOT NULL,
  changed_at    TEXT NOT NULL,
  repo_id       INTEGER NOT NULL,
  issued        TEXT,
  issued_raw    TEXT,
  updated       TEXT,
  updated_raw   TEXT,
  content_hash  TEXT
) STRICT;
CREATE INDEX advisory_history_advisory ON advisory_history (advisory_pk);

CREATE TABLE ingest_run (
  id           INTEGER PRIMARY KEY,
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  status       TEXT                        -- ok, failed, interrupted, killed; NULL while running
) STRICT;

CREATE TABLE ingest_log (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER NOT NULL REFERENCES ingest_run(id),
  repo_id      INTEGER NOT NULL REFERENCES repo(id),
  url          TEXT NOT NULL,
  started_at   TEXT NOT NULL,
  finished_at  TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('ok', 'unchanged', 'failed')),
  checksum     TEXT,
  added        INTEGER NOT NULL DEFAULT 0,
  changed      INTEGER NOT NULL DEFAULT 0,
  unchanged    INTEGER NOT NULL DEFAULT 0,
  withdrawn    INTEGER NOT NULL DEFAULT 0,
  skipped      INTEGER NOT NULL DEFAULT 0,
  error        TEXT
) STRICT;
CREATE INDEX ingest_log_repo ON ingest_log (repo_id, id);

-- data_generation goes up with every ingest transaction that changes advisories; caches key on it.
CREATE TABLE meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('data_generation', '0');
