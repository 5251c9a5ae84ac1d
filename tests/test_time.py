"""The application clock and firm-local dates."""

from __future__ import annotations

import datetime as dt

import pytest

from practice_api.core.time import (
    is_time_zone,
    local_today,
    start_of_local_day,
    travel_to,
    utcnow,
    zone,
)


def test_travel_to_moves_the_clock_and_restores_it() -> None:
    moment = dt.datetime(2030, 1, 31, 23, 30, tzinfo=dt.UTC)
    with travel_to(moment):
        assert abs(utcnow() - moment) < dt.timedelta(seconds=5)
        assert local_today("UTC") == dt.date(2030, 1, 31)
        # Already the next day in Paris (UTC+1 in winter).
        assert local_today("Europe/Paris") == dt.date(2030, 2, 1)
    assert abs(utcnow() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_start_of_local_day_follows_daylight_saving() -> None:
    # Paris: UTC+1 before 2030-03-31, UTC+2 from that day on.
    before = start_of_local_day(dt.date(2030, 3, 30), "Europe/Paris")
    after = start_of_local_day(dt.date(2030, 4, 1), "Europe/Paris")
    assert before == dt.datetime(2030, 3, 29, 23, 0, tzinfo=dt.UTC)
    assert after == dt.datetime(2030, 3, 31, 22, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", "America/New_York"])
def test_known_zones(name: str) -> None:
    assert is_time_zone(name)
    assert zone(name).key == name


@pytest.mark.parametrize("name", ["", "Nowhere/City", "../etc/passwd", "/etc/localtime", " UTC"])
def test_unknown_zones(name: str) -> None:
    assert not is_time_zone(name)
    with pytest.raises(ValueError):
        zone(name)
