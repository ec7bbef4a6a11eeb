"""From landing zone to raw tables: sources, formats, vendor parsers, pseudonymised identity, loading."""
