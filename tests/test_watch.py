"""The landing-zone watcher: one event per settled delivery, nothing opened, nothing deleted."""

from __future__ import annotations

import asyncio
import os
import time

from netpulse.orchestration.watch import LandingZoneTrigger, QuietPeriodDetector, landing_fingerprint


def test_a_changing_listing_fires_once_after_it_stays_quiet():
    detector = QuietPeriodDetector(quiet_seconds=10)
    one = frozenset({("net/attendance/a.csv", 10, 1)})
    two = one | {("net/forum/b.csv", 20, 2)}
    assert not detector.observe(frozenset(), 0)
    assert not detector.observe(frozenset(), 30)  # an empty landing zone never fires
    assert not detector.observe(one, 31)
    assert not detector.observe(two, 35)  # the second source lands within the quiet period
    assert not detector.observe(two, 44)
    assert detector.observe(two, 45.5)  # ten quiet seconds after the last change: one event
    assert not detector.observe(two, 100)  # and only one
    assert not detector.observe(one, 101)  # a file removed: nothing new to load
    assert not detector.observe(one, 200)
    grown = frozenset({("net/attendance/a.csv", 15, 3)})
    assert not detector.observe(grown, 201)
    assert detector.observe(grown, 212)  # a file rewritten is news again


def test_after_a_restart_it_fires_once_for_files_already_there():
    detector = QuietPeriodDetector(quiet_seconds=5)
    waiting = frozenset({("net/roster/r.csv", 1, 1)})
    assert not detector.observe(waiting, 0)
    assert detector.observe(waiting, 5)
    assert not detector.observe(waiting, 50)


def test_the_fingerprint_lists_visible_files_by_path_size_and_mtime(tmp_path):
    (tmp_path / "net" / "attendance").mkdir(parents=True)
    (tmp_path / "net" / "attendance" / "a.csv").write_text("x,y\n")
    (tmp_path / "net" / "attendance" / ".a.csv.part").write_text("partial")
    listing = landing_fingerprint(tmp_path)
    assert [(path, size) for path, size, _ in listing] == [(os.path.join("net", "attendance", "a.csv"), 4)]
    assert landing_fingerprint(tmp_path / "missing") == frozenset()


def test_the_trigger_round_trips_through_its_serialised_form(tmp_path):
    trigger = LandingZoneTrigger(landing=str(tmp_path), quiet_seconds=3, poll_seconds=1)
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(__import__(module, fromlist=[name]), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)


def test_the_trigger_fires_once_for_two_sources_and_leaves_the_files(tmp_path):
    landing = tmp_path / "landing"
    trigger = LandingZoneTrigger(landing=str(landing), quiet_seconds=0.6, poll_seconds=0.1)

    async def watch() -> tuple[list, float]:
        events = []
        runner = trigger.run()
        started = time.monotonic()

        async def collect():
            async for event in runner:
                events.append((time.monotonic() - started, event.payload))

        task = asyncio.create_task(collect())
        await asyncio.sleep(0.3)
        for source in ("attendance", "forum"):
            if source == "forum":
                await asyncio.sleep(0.3)  # the second file lands within the quiet period
            (landing / "net" / source).mkdir(parents=True)
            (landing / "net" / source / "jan.csv").write_text("a,b\n1,2\n")
        written = time.monotonic() - started
        await asyncio.sleep(2.5)
        task.cancel()
        return events, written

    events, written = asyncio.run(watch())
    assert len(events) == 1, events
    at, payload = events[0]
    assert at >= written + 0.6  # not before the delivery settled for the quiet period
    assert payload["files"] == 2
    assert sorted(p.name for p in landing.rglob("*.csv")) == ["jan.csv", "jan.csv"]
