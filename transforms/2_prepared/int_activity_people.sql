-- One row per activity row (attendance segment, forum post, survey response) with whom it
-- is about: the person (e-mail hash, else vendor identity hash) and how the export named them.
select network_id, person, email_hash, identity_hash, source_system from staging.stg_attendance__segments
union all
select network_id, person, email_hash, identity_hash, source_system from staging.stg_forum__posts
union all
select network_id, person, email_hash, identity_hash, source_system from staging.stg_survey__responses
