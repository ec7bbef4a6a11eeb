-- One row per warning sign per network x grain x period in which it holds, with its
-- severity, the evidence in words and the consecutive periods it has held (config/
-- warning_signs.yaml). A period without rows shows no warning sign.
with warnings as (
    select * from staging.int_network_period_warnings
)

select warnings.*,
from warnings
order by warnings.network_id, warnings.grain, warnings.period_start, warnings.warning_sign
