-- One row per member per role per network x grain x period, inferred from behaviour (roles
-- after June Holley, Networks for Improvement). For analysts only: no extract reads this table, and it is
-- never used to rank individuals. Members are pseudonymised keys.
-- history: none
-- (only the current build's rows are kept: an erasure or an identity merge leaves no earlier
-- trace of a person's roles)
--   co-ordinator        hosted or co-hosted a meeting;
--   facilitator         replied to a member in their first active period (brings others in);
--   connector/catalyst  tied in the period to members of two or more organisations besides their own;
--   network guardian    core tier this period and active in each of the five periods before it.
with members as (
    select * from staging.int_member_periods_active
),

bridging as (
    -- Distinct other organisations each member is tied to in the period.
    select tied.network_id, tied.grain, tied.period_start, codes.member_key,
        count(distinct tied.organisation) as other_organisations,
    from (
        select network_id, grain, period_start, member_a as member_code, organisation_b as organisation
        from staging.int_network_period_ties_across
        union all
        select network_id, grain, period_start, member_b, organisation_a
        from staging.int_network_period_ties_across
    ) as tied
    inner join staging.int_member_codes as codes using (network_id, member_code)
    group by all
),

welcoming as (
    select network_id, grain, period_start, member_key, count(*) as replies_to_newcomers,
    from staging.int_forum_responses_in_periods
    where kind = 'reply' and is_to_newcomer
    group by all
),

steady as (
    select
        network_id, grain, period_start, member_key, tier,
        count(*) over (
            partition by network_id, grain, member_key order by period_start
            range between interval 5 month preceding and current row
        ) as months_active,
        count(*) over (
            partition by network_id, grain, member_key order by period_start
            range between interval 15 month preceding and current row
        ) as quarters_active,
    from members
),

roles as (
    select network_id, grain, period_start, member_key, 'co-ordinator' as role,
        'hosted or co-hosted ' || meetings_hosted || ' meeting(s)' as evidence,
    from members where meetings_hosted > 0
    union all
    select network_id, grain, period_start, member_key, 'facilitator',
        'replied ' || replies_to_newcomers || ' time(s) to members new this period',
    from welcoming
    union all
    select network_id, grain, period_start, member_key, 'connector/catalyst',
        'tied to members of ' || other_organisations || ' other organisations',
    from bridging where other_organisations >= 2
    union all
    select network_id, grain, period_start, member_key, 'network guardian',
        'core member, active in each of the last six ' || grain || 's',
    from steady
    where tier = 'core' and case grain when 'month' then months_active else quarters_active end >= 6
)

select roles.*,
from roles
order by roles.network_id, roles.grain, roles.period_start, roles.role, roles.member_key
