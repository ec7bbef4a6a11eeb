-- One row per member per meeting attended; rejoins are one attendance.
with attendances as (
    select * from staging.int_attendances_merged
),

networks as (
    select network_id, timezone from meta.networks
)

select
    attendances.network_id,
    attendances.meeting_id,
    attendances.member_key,
    attendances.meeting_start_utc,
    local_date(attendances.meeting_start_utc, networks.timezone) as local_date,
    attendances.status,
    attendances.role,
    attendances.segments,
    attendances.is_guest,
    attendances.is_unmatched,
    attendances.first_joined_utc,
    attendances.last_left_utc,
    attendances.minutes_attended,
from attendances
inner join networks using (network_id)
