"""Acts on request: erasure of a member, identity decisions."""
