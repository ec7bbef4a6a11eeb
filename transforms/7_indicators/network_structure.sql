-- One row per network x grain x period of the indicator spine, with the structure of the
-- interaction graph. Periods without interactions have 0 members and ties and NULL ratios
-- (no graph, so no evidence: never 0). Definitions: docs/methodology.md.
select structure.*,
from staging.int_network_period_structure as structure
order by structure.network_id, structure.grain, structure.period_start
