"""The funders\x27 quarterly impact pack (docs/analyst-guide.md, "The funder pack")."""
