-- One row per network per build that built it: a full build builds every network, an
-- incremental build only those whose inputs changed (netpulse.network_builds). signature is
-- the hash of everything the network's figures were computed from; NULL for a network that
-- has left the warehouse (its rows were deleted by that build).
create table if not exists meta.network_builds (
    network_id varchar not null,
    build_id varchar not null,
    signature varchar,
    built_at timestamp not null,        -- the build's started_at: builds are ordered by it
    primary key (network_id, build_id)
);

-- How each build ran: 'full' (every table replaced) or 'incremental' (the rows of the networks
-- built replaced), how many networks it built, and the fingerprint of the definitions it used
-- (methodology, rules, configuration, SQL and Python models): a new fingerprint means a full build.
alter table meta.builds add column if not exists build_kind varchar;
alter table meta.builds add column if not exists networks_built integer;
alter table meta.builds add column if not exists definitions varchar;

-- The build whose rows each network's figures are "as of build B": for every network, the
-- latest build up to B that built it. Join a *_history table to it on (network_id, build_id):
--     select h.* from indicators.network_period_history as h
--     inner join meta.network_builds_as_of('<build id>') using (network_id, build_id)
-- Builds from before network builds were recorded rebuilt every network: for one of those,
-- every network is as of that build itself.
create or replace macro meta.network_builds_as_of(as_of_build) as table
    select network_id, arg_max(build_id, built_at) as build_id
    from meta.network_builds
    where built_at <= (select started_at from meta.builds where build_id = as_of_build)
    group by network_id
    union all
    select network_id, as_of_build as build_id
    from meta.networks
    where (select started_at from meta.builds where build_id = as_of_build and status = 'succeeded')
        < coalesce((select min(built_at) from meta.network_builds), 'infinity'::timestamp);
