-- Versions of the key-feature and warning-sign definitions each build used (methodology
-- and stage rules are recorded since the first build).
alter table meta.builds add column if not exists key_features_version varchar;
alter table meta.builds add column if not exists warning_signs_version varchar;
