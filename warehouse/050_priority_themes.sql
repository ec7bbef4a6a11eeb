-- A network's priority themes (the big issues it exists to work on), matched against meeting
-- titles for the "compelling purpose" key feature. NULL or empty: not configured.
alter table meta.networks add column if not exists priority_themes varchar[];
