"""Rapid diffusion: how long a new topic takes to reach N members besides the one who opened it.

January, topic p1 by A at 09:00 on the 10th: B replies 10:00, A replies to herself 10:30 (not a
new member reached), C reacts 12:00, C replies 13:00 (C already reached), D replies 15:00.
Topic p6 by B on the 12th at 09:00: C replies 11:00, nobody else.
With diffusion_reach 2, p1 reaches B and C at 12:00 (3 hours), p6 never does: share 1/2,
median 3 hours. With 3, p1 reaches D at 15:00 (6 hours). With 5, no topic does: share 0 and
no median (NULL, not 0).
"""

from __future__ import annotations

import pytest
import yaml

from netpulse.build.run import build
from netpulse.config.settings import project_path
from netpulse.ingest.loading import ingest
from tests.helpers import FORUM_HEADER, make_settings, query, write_csv

POSTS = [
    ["p1", "", "", "a@x.example", "A", "2026-01-10T09:00:00", "topic"],
    ["p2", "p1", "p1", "b@x.example", "B", "2026-01-10T10:00:00", "reply"],
    ["p3", "p1", "p2", "a@x.example", "A", "2026-01-10T10:30:00", "reply"],
    ["p4", "p1", "p1", "c@x.example", "C", "2026-01-10T12:00:00", "reaction"],
    ["p5", "p1", "p1", "c@x.example", "C", "2026-01-10T13:00:00", "reply"],
    ["p7", "p1", "p1", "d@x.example", "D", "2026-01-10T15:00:00", "reply"],
    ["p6", "", "", "b@x.example", "B", "2026-01-12T09:00:00", "topic"],
    ["p8", "p6", "p6", "c@x.example", "C", "2026-01-12T11:00:00", "reply"],
]


def built_with_reach(root, reach: int):
    config = yaml.safe_load(project_path("config", "key_features.yaml").read_text(encoding="utf-8"))
    config["diffusion_reach"] = reach
    path = root / "key_features.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = make_settings(root)
    write_csv(settings.landing, "net", "forum", "f.csv", FORUM_HEADER, POSTS)
    ingest(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETPULSE_KEY_FEATURES", str(path))
        build(settings)
    return settings


@pytest.mark.parametrize("reach, share, hours", [(2, 0.5, 3.0), (3, 0.5, 6.0), (5, 0.0, None)])
def test_time_for_a_new_topic_to_reach_n_other_members(tmp_path, reach, share, hours):
    settings = built_with_reach(tmp_path, reach)
    (row,) = query(settings, "select share_topics_reaching_diffusion, median_hours_to_diffusion "
                   "from indicators.network_distinctiveness where grain = 'month' and period_start = '2026-01-01'")
    assert row[0] == pytest.approx(share)
    assert row[1] == (pytest.approx(hours) if hours is not None else None)
