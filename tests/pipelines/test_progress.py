"""Throttled progress messages of long steps (online geocoding at one request a
second)."""

from pipelines.progress import ThrottledProgress


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, text: str) -> None:
        self.lines.append(text)


def test_reports_at_most_every_interval_and_always_at_the_end():
    log = Log()
    progress = ThrottledProgress(log, "online geocoder", every_s=3600)
    for done in range(1, 101):
        progress(done, 100, {"requests": done})
    # nothing between (the interval is an hour), one line at the end
    assert len(log.lines) == 1
    assert log.lines[0].startswith("online geocoder: 100 of 100 done (100.0%)")
    assert "'requests': 100" in log.lines[0]


def test_reports_each_time_the_interval_has_passed():
    log = Log()
    progress = ThrottledProgress(log, "k", every_s=0)
    progress(1, 4)
    progress(2, 4)
    assert [line.split(",")[0] for line in log.lines] == [
        "k: 1 of 4 done (25.0%)",
        "k: 2 of 4 done (50.0%)",
    ]
