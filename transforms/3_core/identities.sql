-- One row per vendor identity per network (a Zoom name, Teams id, Slack user id or
-- Discourse username, hashed), with the member it resolves to and how. The identities
-- themselves stay in the raw schema; this table holds only their keyed hashes.
-- members_matched > 1 means the same vendor id appeared with the e-mails of several
-- members (two people sharing a Zoom name): a data-quality flag, not an error.
with observed as (
    select * from staging.int_activity_people
),

people as (
    select * from staging.int_people_resolved
),

identities as (
    select
        observed.network_id,
        observed.identity_hash,
        any_value(observed.source_system) as source_system,
        min(people.member_key) as member_key,
        count(distinct people.member_key) as members_matched,
        case
            when count(observed.email_hash) > 0 then 'email'
            else any_value(people.matched_by)
        end as matched_by,
        count(*) as rows_seen,
        count(observed.email_hash) as rows_with_email,
    from observed
    inner join people using (network_id, person)
    where observed.identity_hash is not null
    group by observed.network_id, observed.identity_hash
)

select * from identities
