-- One row per roster entry per network; the latest delivery of an address wins.
with source as (
    select * from raw.roster
),

deduplicated as (
    select *
    from source
    qualify row_number() over (
        partition by network_id, email_hash
        order by delivery_id desc, line_number desc
    ) = 1
)

select
    network_id,
    email_hash,
    organisation,
    sector,
    profession,
    region,
    patient_or_carer,
    joined_on,
    left_on,
    other_email_hashes,
    delivery_id,
from deduplicated
