-- Raw deliveries, typed but otherwise as delivered. Only deliveries that passed
-- validation have rows here. Raw e-mails and names never leave this schema.

-- One row per member per join segment, as in the export.
create table if not exists raw.attendance (
    delivery_id bigint not null,
    line_number bigint not null,
    network_id varchar not null,
    meeting_id varchar not null,
    meeting_title varchar,
    meeting_start timestamp not null,   -- UTC
    meeting_end timestamp,              -- UTC
    email varchar not null,
    email_hash varchar not null,
    name varchar,
    joined_at timestamp,                -- UTC; null for registered-only rows
    left_at timestamp,                  -- UTC
    role varchar not null,
    status varchar not null
);

-- One row per forum post, reply or reaction.
create table if not exists raw.forum (
    delivery_id bigint not null,
    line_number bigint not null,
    network_id varchar not null,
    post_id varchar not null,
    topic_id varchar,
    reply_to_post_id varchar,
    email varchar not null,
    email_hash varchar not null,
    name varchar,
    created_at timestamp not null,      -- UTC
    kind varchar not null
);

-- One row per survey response (complete or not).
create table if not exists raw.survey_responses (
    delivery_id bigint not null,
    line_number bigint not null,
    network_id varchar not null,
    response_id varchar not null,
    instrument varchar not null,
    submitted_at timestamp not null,    -- UTC
    email varchar not null,
    email_hash varchar not null,
    finished boolean not null
);

-- One row per answered Likert item of a response.
create table if not exists raw.survey_answers (
    delivery_id bigint not null,
    network_id varchar not null,
    response_id varchar not null,
    item varchar not null,
    answer smallint not null check (answer between 1 and 5)
);

-- One row per roster entry.
create table if not exists raw.roster (
    delivery_id bigint not null,
    line_number bigint not null,
    network_id varchar not null,
    email varchar not null,
    email_hash varchar not null,
    name varchar,
    organisation varchar,
    sector varchar,
    profession varchar,
    region varchar,
    patient_or_carer boolean,
    joined_on date,
    left_on date,
    other_emails varchar,
    other_email_hashes varchar[]
);
