-- The lists' default order (db/advisory-query.ts: orderBy, listAfter; db/site-index.ts): newest issued first,
-- then id and product. Indexes on those expressions let a list page, a keyset page and the export's walk of
-- every advisory read an index in order instead of sorting every advisory each time.
CREATE INDEX advisory_list_order ON advisory (coalesce(issued, ''), id, product_id);
CREATE INDEX advisory_product_list_order ON advisory (product_id, coalesce(issued, ''), id);
