-- Shared SQL macros, created before the models run.

-- First day of the quarter holding d, for quarters that start in start_month (1-12),
-- e.g. start_month 4 gives financial-year quarters April, July, October, January.
create or replace macro quarter_start(d, start_month) as
    (date_trunc('month', d) - to_months(((month(d) - start_month) % 3 + 3) % 3))::date;

-- Calendar date, in the network's time zone, of a UTC timestamp.
create or replace macro local_date(ts_utc, tz) as
    timezone(tz, timezone('UTC', ts_utc))::date;

-- Months in one period of a grain ('month' or 'quarter').
create or replace macro period_months(grain) as
    case grain when 'month' then 1 else 3 end;

-- Start of the period n periods after (n < 0: before) the period starting at period_start.
create or replace macro shift_period(period_start, grain, n) as
    (period_start + to_months(n * period_months(grain)))::date;

-- The month and the quarter (quarters starting in start_month) holding the date d, as a list
-- of {grain, period_start}: `unnest(periods_of(...), recursive := true)` puts a row in both.
create or replace macro periods_of(d, start_month) as
    [{'grain': 'month', 'period_start': date_trunc('month', d)::date},
     {'grain': 'quarter', 'period_start': quarter_start(d, start_month)}];

-- Whether a timestamp lies within a delivery's date bounds (stg_deliveries__date_bounds); a
-- missing timestamp or missing bounds are not evidence of an impossible date.
create or replace macro is_possible(ts, earliest_at, latest_at) as
    coalesce(not (ts < earliest_at or ts > latest_at), true);
