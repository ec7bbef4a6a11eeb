-- One row per network x grain x period with active members: diversity of the active
-- membership (Blau index, 1 - sum of squared shares, over members whose attribute the roster
-- gives) for organisation, sector, profession and patient/carer, and the largest
-- organisation's share of the period's activity, of all active members, organisation known or
-- not (docs/framework.md, "Distinctiveness").
with members as (
    select * from staging.int_member_periods_active
),

attributes as (
    select
        members.network_id, members.grain, members.period_start, members.member_key, members.events,
        roster.organisation, roster.sector, roster.profession,
        case when roster.patient_or_carer then 'patient or carer'
             when roster.patient_or_carer is not null then 'staff' end as patient_or_carer,
    from members
    left join core.members as roster using (network_id, member_key)
),

long as (
    unpivot attributes
    on organisation, sector, profession, patient_or_carer
    into name attribute value category
),

shares as (
    select network_id, grain, period_start, attribute, category, count(*) as members, sum(events) as events,
    from long
    where category is not null
    group by all
),

blau as (
    -- 1 - sum(members²) / total², the squares summed as integers: a sum of squared shares in
    -- floating point depends on the order DuckDB's threads add them, and the last bit of a Blau
    -- index moved between two builds of the same data (a warning sign's text rounds it).
    select
        network_id, grain, period_start, attribute,
        1 - sum(members * members) / (any_value(total_members) * any_value(total_members)) as blau,
        max(events / activity_total) as largest_share_of_activity,
    from (
        select
            *,
            sum(members) over (partition by network_id, grain, period_start, attribute)::double as total_members,
        from shares
        inner join (
            select network_id, grain, period_start, sum(events)::double as activity_total,
            from members
            group by all
        ) using (network_id, grain, period_start)
    )
    group by all
),

known as (
    select
        network_id, grain, period_start,
        count(*) as active_members,
        count(organisation) as members_with_organisation,
    from attributes
    group by all
)

select
    known.network_id,
    known.grain,
    known.period_start,
    max(blau.blau) filter (where blau.attribute = 'organisation') as diversity_organisation,
    max(blau.blau) filter (where blau.attribute = 'sector') as diversity_sector,
    max(blau.blau) filter (where blau.attribute = 'profession') as diversity_profession,
    max(blau.blau) filter (where blau.attribute = 'patient_or_carer') as diversity_patient_or_carer,
    avg(blau.blau::decimal(38, 18))::double as diversity_blau,  -- exact: the same in any order
    max(blau.largest_share_of_activity) filter (where blau.attribute = 'organisation')
        as largest_organisation_share_of_activity,
    any_value(known.members_with_organisation) / any_value(known.active_members)::double as roster_coverage,
from known
left join blau using (network_id, grain, period_start)
group by all
