-- One row per member per network: everyone seen in a roster or in any activity.
-- Holds pseudonymised keys and roster attributes only, never e-mails or names.
with aliases as (
    select * from staging.int_member_aliases
),

roster as (
    select
        coalesce(aliases.member_key, roster.email_hash) as member_key,
        roster.*,
    from staging.stg_roster__members as roster
    left join aliases using (email_hash)
),

roster_by_member as (
    -- A person listed twice (under two of their addresses) keeps the latest entry.
    select *
    from roster
    qualify row_number() over (partition by network_id, member_key order by delivery_id desc, email_hash) = 1
),

activity as (
    select
        network_id,
        member_key,
        min(local_date) as first_active_on,
        max(local_date) as last_active_on,
        count(*) as engagement_events,
    from core.engagement_events
    group by all
),

everyone as (
    select network_id, member_key from roster_by_member
    union
    select network_id, member_key from activity
)

select
    everyone.network_id,
    everyone.member_key,
    roster_by_member.member_key is not null as on_roster,
    roster_by_member.organisation,
    roster_by_member.sector,
    roster_by_member.profession,
    roster_by_member.region,
    roster_by_member.patient_or_carer,
    roster_by_member.joined_on,
    roster_by_member.left_on,
    activity.first_active_on,
    activity.last_active_on,
    coalesce(activity.engagement_events, 0) as engagement_events,
from everyone
left join roster_by_member using (network_id, member_key)
left join activity using (network_id, member_key)
