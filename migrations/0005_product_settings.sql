-- What a product's configuration says about using its packages (docs/ingest.md, "Products"): the package
-- manager its advisory pages give commands for, the yum repo id of its source RPMs, and its signing key.
-- NULL package_manager: chosen per advisory from its id (domain/update-command.ts).
ALTER TABLE product ADD COLUMN package_manager TEXT CHECK (package_manager IN ('yum', 'dnf', 'zypper', 'none'));
ALTER TABLE product ADD COLUMN source_repo TEXT;

-- The product's package signing key, as the worker last read it. The fingerprint, user id and creation date
-- are those of the last successful read: a key that cannot be read any more is a failure (last_status,
-- last_error), like a failed repo, and what was read before stays shown.
CREATE TABLE signing_key (
  product_id       TEXT PRIMARY KEY REFERENCES product(id),
  source           TEXT NOT NULL,          -- where the worker reads it: a canonical URL or an absolute path
  import_url       TEXT,                   -- what `rpm --import` is shown with; NULL: the file's name only
  fingerprint      TEXT,                   -- upper-case hex, as gpg prints it
  user_id          TEXT,                   -- the primary user id
  created          TEXT,                   -- ISO 8601 UTC
  last_run_at      TEXT,
  last_success_at  TEXT,
  last_status      TEXT CHECK (last_status IN ('ok', 'failed')),
  last_error       TEXT
) STRICT;

-- Withdrawals and reinstatements as they happen (advisory.withdrawn_at holds only the current one), for the
-- advisory page's history beside advisory_history's earlier dates. Earlier versions recorded none.
CREATE TABLE advisory_event (
  advisory_pk  INTEGER NOT NULL REFERENCES advisory(pk),
  run_id       INTEGER,                    -- NULL when made by `npm run repos -- remove --withdraw`
  at           TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('withdrawn', 'reinstated'))
) STRICT;
CREATE INDEX advisory_event_advisory ON advisory_event (advisory_pk);
