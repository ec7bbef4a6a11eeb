-- One row per pseudonymous key of a member erased from a network (netpulse erase): the keys
-- their rows were deleted by, kept so that a file delivered again is loaded without them.
-- Holds no e-mail or name, only the keyed hashes.
create table if not exists meta.erasures (
    network_id varchar not null,
    erased_key varchar not null,        -- e-mail hash, member key or vendor identity hash
    erased_at timestamp not null,
    requested_by varchar,
    rows_removed bigint,                -- raw rows the erasure deleted (all keys together)
    primary key (network_id, erased_key)
);
