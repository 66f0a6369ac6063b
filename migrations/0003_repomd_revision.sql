-- The repomd.xml last ingested per repo: its <revision> and the newest <timestamp> of its <data>
-- entries (as text: Rocky writes revision "8.4"). A mirror whose repomd went backwards is stale
-- and is refused (docs/ingest.md); NULL until a repo is next ingested.
ALTER TABLE repo ADD COLUMN repomd_revision TEXT;
ALTER TABLE repo ADD COLUMN repomd_timestamp TEXT;
