-- One row per network x grain x period of the indicator spine, with the structure of the
-- interaction graph. Periods without interactions have 0 members and ties and NULL ratios
-- (no graph, so no evidence: never 0). Definitions: docs/methodology.md.
select structure.*, builds.methodology_version, builds.build_id,
from staging.int_network_period_structure as structure
cross join staging.int_build_context as builds
order by structure.network_id, structure.grain, structure.period_start
