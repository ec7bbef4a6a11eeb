"""Great Expectations suites run on deliveries and on indicator tables; Data Docs."""
