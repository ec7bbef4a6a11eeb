-- One row per setting that must not change under a warehouse (e.g. the hash key fingerprint).
create table if not exists meta.settings (
    name varchar primary key,
    value varchar not null
);

-- One row per configured or discovered network.
create table if not exists meta.networks (
    network_id varchar primary key,
    name varchar not null,
    type varchar,
    programme varchar,
    started_on date,
    timezone varchar not null,
    quarter_start_month integer not null check (quarter_start_month between 1 and 12),
    configured boolean not null,
    updated_at timestamp not null
);

-- The manifest: one row per delivery (a file's content as seen at one path).
create sequence if not exists meta.delivery_id_seq;
create table if not exists meta.deliveries (
    delivery_id bigint primary key,
    run_id varchar not null,
    network_id varchar not null,
    source varchar not null,
    path varchar not null,              -- relative to the landing zone
    sha256 varchar not null,
    size_bytes bigint not null,
    modified_at timestamp,              -- file mtime (UTC) when it was read
    status varchar not null check (status in ('loaded', 'duplicate', 'quarantined')),
    rows_in_file bigint,
    rows_loaded bigint,
    error varchar,                      -- why it was quarantined, in words
    duplicate_of bigint,                -- earlier delivery with the same content
    ignored_columns varchar,
    received_at timestamp not null,
    finished_at timestamp not null
);

-- One row per expectation evaluated on a delivery or on a build's indicator tables.
create table if not exists meta.validation_results (
    run_id varchar not null,
    delivery_id bigint,                 -- null for indicator-table validations
    build_id varchar,
    suite varchar not null,
    expectation varchar not null,
    column_name varchar,
    description varchar,
    success boolean not null,
    element_count bigint,
    unexpected_count bigint,
    unexpected_lines varchar,
    unexpected_examples varchar,
    validated_at timestamp not null
);

-- One row per build of the staging, core and indicator layers.
create table if not exists meta.builds (
    build_id varchar primary key,
    run_id varchar not null,
    methodology_version varchar not null,
    stage_rules_version varchar not null,
    status varchar not null check (status in ('succeeded', 'failed')),
    error varchar,
    last_delivery_id bigint,            -- deliveries up to this id were included
    models varchar,
    started_at timestamp not null,
    finished_at timestamp not null
);
