-- Counts the lists, the products page and /metrics show without counting a million rows per request: advisories
-- per product, severity, type and withdrawn state, kept in step by triggers (the ingest worker needs no change).
-- A row may fall to n = 0 and stay; every reader sums. NULL severities and types are rows of their own (IS).
CREATE TABLE advisory_count (
  product_id TEXT NOT NULL,
  severity   TEXT,
  type       TEXT,
  withdrawn  INTEGER NOT NULL,
  n          INTEGER NOT NULL
) STRICT;
CREATE INDEX advisory_count_key ON advisory_count (product_id, severity, type, withdrawn);

INSERT INTO advisory_count (product_id, severity, type, withdrawn, n)
  SELECT product_id, severity, type, withdrawn, count(*) FROM advisory GROUP BY product_id, severity, type, withdrawn;

CREATE TRIGGER advisory_count_insert AFTER INSERT ON advisory BEGIN
  INSERT INTO advisory_count (product_id, severity, type, withdrawn, n)
    SELECT NEW.product_id, NEW.severity, NEW.type, NEW.withdrawn, 0 WHERE NOT EXISTS (SELECT 1 FROM advisory_count
      WHERE product_id = NEW.product_id AND severity IS NEW.severity AND type IS NEW.type AND withdrawn = NEW.withdrawn);
  UPDATE advisory_count SET n = n + 1
    WHERE product_id = NEW.product_id AND severity IS NEW.severity AND type IS NEW.type AND withdrawn = NEW.withdrawn;
END;

CREATE TRIGGER advisory_count_delete AFTER DELETE ON advisory BEGIN
  UPDATE advisory_count SET n = n - 1
    WHERE product_id = OLD.product_id AND severity IS OLD.severity AND type IS OLD.type AND withdrawn = OLD.withdrawn;
END;

CREATE TRIGGER advisory_count_update AFTER UPDATE OF product_id, severity, type, withdrawn ON advisory
  WHEN OLD.product_id IS NOT NEW.product_id OR OLD.severity IS NOT NEW.severity OR OLD.type IS NOT NEW.type OR OLD.withdrawn IS NOT NEW.withdrawn
BEGIN
  UPDATE advisory_count SET n = n - 1
    WHERE product_id = OLD.product_id AND severity IS OLD.severity AND type IS OLD.type AND withdrawn = OLD.withdrawn;
  INSERT INTO advisory_count (product_id, severity, type, withdrawn, n)
    SELECT NEW.product_id, NEW.severity, NEW.type, NEW.withdrawn, 0 WHERE NOT EXISTS (SELECT 1 FROM advisory_count
      WHERE product_id = NEW.product_id AND severity IS NEW.severity AND type IS NEW.type AND withdrawn = NEW.withdrawn);
  UPDATE advisory_count SET n = n + 1
    WHERE product_id = NEW.product_id AND severity IS NEW.severity AND type IS NEW.type AND withdrawn = NEW.withdrawn;
END;

-- The API's and the feeds' other order (sort=updated): newest update first, then id and product, read in index
-- order like the issued order (migration 0006) instead of sorting every advisory.
CREATE INDEX advisory_updated_order ON advisory (coalesce(updated, issued, ''), id, product_id);
