-- One row per e-mail hash known from a roster, with the member it belongs to.
-- A member is keyed by the hash of their primary roster address; every address in
-- other_emails resolves to it. Addresses never seen on a roster key themselves
-- (see core.engagement_events). Chains are followed two links deep (A lists B, B lists C).
-- across networks: roster aliases
with roster as (
    select * from staging.stg_roster__members
),

claimed as (
    select
        unnest(other_email_hashes) as email_hash,
        email_hash as member_key,
    from roster
),

first_claim as (
    -- Two entries claiming one address resolve to the same member whichever loads first.
    select email_hash, min(member_key) as member_key,
    from claimed
    where email_hash <> member_key
    group by email_hash
),

unclaimed_primaries as (
    select distinct email_hash, email_hash as member_key,
    from roster
    where email_hash not in (select email_hash from first_claim)
),

one_link as (
    select * from first_claim
    union all
    select * from unclaimed_primaries
),

followed as (
    select
        one_link.email_hash,
        coalesce(next_link.member_key, one_link.member_key) as member_key,
    from one_link
    left join first_claim as next_link
        on one_link.member_key = next_link.email_hash
)

select * from followed
