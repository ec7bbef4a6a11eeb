-- Shared SQL macros, created before the models run.

-- First day of the quarter holding d, for quarters that start in start_month (1-12),
-- e.g. start_month 4 gives financial-year quarters April, July, October, January.
create or replace macro quarter_start(d, start_month) as
    (date_trunc('month', d) - to_months(((month(d) - start_month) % 3 + 3) % 3))::date;

-- Calendar date, in the network's time zone, of a UTC timestamp.
create or replace macro local_date(ts_utc, tz) as
    timezone(tz, timezone('UTC', ts_utc))::date;
