-- One row per person seen in activity, per network, with the member they are.
-- A person is an e-mail hash, or, for rows without an e-mail, the hash of the export's own
-- user id. E-mails resolve through roster aliases. A vendor account id (Slack, Teams,
-- Discourse) seen with an e-mail elsewhere in the same network is that e-mail's member.
-- Zoom and sign-in sheet ids are only names, and names never match automatically: they
-- resolve only through a decision a person accepted (meta.identity_decisions). Anyone
-- else stays an unmatched identity: counted, never dropped.
with observed as (
    select * from staging.int_activity_people
),

aliases as (
    select * from staging.int_member_aliases
),

account_links as (
    select
        observed.network_id,
        observed.identity_hash,
        min(coalesce(aliases.member_key, observed.email_hash)) as member_key,
    from observed
    left join aliases using (email_hash)
    where observed.email_hash is not null
        and observed.identity_hash is not null
        and observed.source_system in ('slack', 'teams', 'discourse')
    group by all
),

accepted as (
    select network_id, identity_hash, min(member_key) as member_key,
    from meta.identity_decisions
    where decision = 'accepted'
    group by all
),

people as (
    select distinct network_id, person, email_hash is not null as has_email,
    from observed
),

resolved as (
    select
        people.network_id,
        people.person,
        case
            when people.has_email then coalesce(aliases.member_key, people.person)
            else coalesce(accepted.member_key, account_links.member_key, people.person)
        end as member_key,
        case
            when people.has_email then 'email'
            when accepted.member_key is not null then 'accepted'
            when account_links.member_key is not null then 'account'
            else 'unmatched'
        end as matched_by,
    from people
    left join aliases
        on people.has_email and people.person = aliases.email_hash
    left join accepted
        on not people.has_email and people.network_id = accepted.network_id and people.person = accepted.identity_hash
    left join account_links
        on not people.has_email and people.network_id = account_links.network_id
        and people.person = account_links.identity_hash
)

select * from resolved
