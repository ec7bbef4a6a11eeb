"""Loopback HTTP servers that behave as the vendors' APIs are documented to (tests only).

Each server replays responses written by hand from the vendor's public documentation (field names
exactly as documented; tests/fixtures/api/<vendor>/), keeps the state a test changes between pulls
(a new post, a late reply), and can be told to answer the next requests with a failure (a 429 with
Retry-After, a 5xx, an expired token). The pullers talk to them over real HTTP: nothing of
netpulse is replaced.
"""
