-- Schemas follow the data flow: raw deliveries -> staging -> core entities -> indicators,
-- with load metadata (manifest, validation results, builds) kept apart in meta.
create schema if not exists meta;
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists core;
create schema if not exists indicators;
