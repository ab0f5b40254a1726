"""A rule's interval and look-back on each platform, within its documented limits."""

import pytest

from converters.package import schedule


@pytest.mark.parametrize("seconds, cron, actual", [
    (300, "*/5 * * * *", 300), (60, "* * * * *", 60), (30, "* * * * *", 60), (900, "*/15 * * * *", 900),
    (420, "*/6 * * * *", 360), (3600, "0 * * * *", 3600), (7200, "0 */2 * * *", 7200),
    (5 * 3600, "0 */4 * * *", 4 * 3600), (86400, "0 0 * * *", 86400),
])
def test_splunk_cron(seconds, cron, actual):
    got, runs, why = schedule.splunk_cron(seconds)
    assert (got, runs) == (cron, actual)
    assert (why is None) == (runs == seconds)


def test_sentinel_limits():
    assert schedule.sentinel_times(300, 540)[:2] == (300, 540)
    freq, period, why = schedule.sentinel_times(60, 120)
    assert (freq, period) == (300, 300) and len(why) == 2
    assert schedule.sentinel_times(3600, 60 * 86400)[1] == 14 * 86400


@pytest.mark.parametrize("seconds, period", [(60, "0"), (300, "0"), (1800, "0"), (1801, "1H"), (3600, "1H"),
                                             (7200, "1H"), (8 * 3600, "12H"), (86400, "24H"), (7 * 86400, "24H")])
def test_defender_nearest_period(seconds, period):
    assert schedule.defender_period(seconds)[0] == period


@pytest.mark.parametrize("seconds, iso", [(300, "PT5M"), (540, "PT9M"), (3600, "PT1H"), (86400, "P1D"),
                                          (90000, "P1DT1H"), (90, "PT1M30S")])
def test_iso8601(seconds, iso):
    assert schedule.iso8601(seconds) == iso
