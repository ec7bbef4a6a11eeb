-- Vendor exports: a row may identify its person by the vendor's own id (Zoom name, Slack
-- user id, Discourse username) instead of, or as well as, an e-mail. Idempotent, so it
-- also upgrades warehouses created before vendor formats existed.
alter table raw.attendance add column if not exists source_system varchar;   -- generic, zoom, teams, signin
alter table raw.attendance add column if not exists source_user_id varchar;  -- as the vendor wrote it
alter table raw.attendance add column if not exists display_name varchar;
alter table raw.attendance add column if not exists is_guest boolean;
alter table raw.attendance add column if not exists identity_hash varchar;   -- HMAC of source_system:source_user_id
alter table raw.attendance alter column email drop not null;
alter table raw.attendance alter column email_hash drop not null;

alter table raw.forum add column if not exists source_system varchar;        -- generic, discourse, slack
alter table raw.forum add column if not exists source_user_id varchar;
alter table raw.forum add column if not exists display_name varchar;
alter table raw.forum add column if not exists is_guest boolean;
alter table raw.forum add column if not exists identity_hash varchar;
alter table raw.forum alter column email drop not null;
alter table raw.forum alter column email_hash drop not null;

alter table raw.survey_responses add column if not exists source_system varchar;  -- generic, qualtrics, msforms
alter table raw.survey_responses add column if not exists source_user_id varchar;
alter table raw.survey_responses add column if not exists display_name varchar;
alter table raw.survey_responses add column if not exists is_guest boolean;
alter table raw.survey_responses add column if not exists identity_hash varchar;
alter table raw.survey_responses alter column email drop not null;
alter table raw.survey_responses alter column email_hash drop not null;

alter table meta.deliveries add column if not exists format varchar;          -- generic or the vendor format

-- A person's decision on a proposed identity match (never made automatically on a name).
create table if not exists meta.identity_decisions (
    network_id varchar not null,
    identity_hash varchar not null,     -- the vendor identity
    member_key varchar not null,        -- the member it was proposed to be
    decision varchar not null check (decision in ('accepted', 'rejected')),
    decided_at timestamp not null,
    decided_by varchar,
    primary key (network_id, identity_hash, member_key)
);
