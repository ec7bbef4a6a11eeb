-- One row per meeting, with its local date and how many members registered and attended.
with segments as (
    select * from staging.stg_attendance__segments
),

networks as (
    select network_id, timezone from meta.networks
),

attendances as (
    select * from staging.int_attendances_merged
),

meetings as (
    select
        network_id,
        meeting_id,
        max(meeting_title) as meeting_title,
        min(meeting_start_utc) as meeting_start_utc,
        max(meeting_end_utc) as meeting_end_utc,
        count(distinct email_hash) filter (where status = 'registered') as registrations,
    from segments
    group by all
),

attendance_counts as (
    select
        network_id,
        meeting_id,
        count(*) as attendances,
        count(*) filter (where status = 'walk-in') as walk_ins,
    from attendances
    group by all
)

select
    meetings.network_id,
    meetings.meeting_id,
    meetings.meeting_title,
    meetings.meeting_start_utc,
    meetings.meeting_end_utc,
    local_date(meetings.meeting_start_utc, networks.timezone) as local_date,
    meetings.registrations,
    coalesce(attendance_counts.attendances, 0) as attendances,
    coalesce(attendance_counts.walk_ins, 0) as walk_ins,
from meetings
inner join networks using (network_id)
left join attendance_counts using (network_id, meeting_id)
