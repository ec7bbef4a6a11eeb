-- The columns each delivery's export had, and any change against the previous delivery of
-- the same network, source and format ("schema drift"), reported by column name.
alter table meta.deliveries add column if not exists source_columns varchar;
alter table meta.deliveries add column if not exists schema_drift varchar;
