-- A network's own earliest possible date (the networks file's earliest_date:); NULL: the
-- deployment's NETPULSE_EARLIEST_DATE applies. Deliveries with activity dated before it are
-- quarantined, and the build leaves out rows loaded before dates were checked.
alter table meta.networks add column if not exists earliest_date date;
