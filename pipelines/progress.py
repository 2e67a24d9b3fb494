"""Progress: a Dagster logger that prints one readable line per step, for the command
line, and throttled progress messages for long steps."""

import logging
import sys
import time

import dagster as dg


class _StepProgress(logging.Handler):
    """Turns Dagster events into ``[3/21] firm_locations ... done in 0.4 s`` lines."""

    def __init__(self, total_steps: int, check_names: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.total_steps = total_steps
        self.check_suffixes = tuple(f"_{name}" for name in check_names)
        self.started = 0

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if not meta:
            return
        step = meta.get("step_key") or ""
        event = meta.get("dagster_event")
        if event is None:
            # messages the assets log themselves (context.log.info/warning)
            if record.levelno >= logging.INFO and step:
                print(f"      {step}: {meta['orig_message']}", flush=True)
            return
        kind = event.event_type_value
        is_check = step.endswith(self.check_suffixes)
        if kind == "STEP_START":
            self.started += 1
            if not is_check:
                print(f"[{self.started}/{self.total_steps}] {step} ...", flush=True)
        elif kind == "STEP_SUCCESS" and not is_check:
            seconds = event.event_specific_data.duration_ms / 1000
            print(f"      {step}: done in {seconds:.1f} s", flush=True)
        elif kind == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            print(
                f"      {step}: FAILED: {error.message.strip() if error else ''}",
                file=sys.stderr,
                flush=True,
            )
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            verdict = "passed" if data.passed else "did NOT pass"
            print(
                f"[{self.started}/{self.total_steps}] check {data.check_name}: "
                f"{verdict}",
                flush=True,
            )


@dg.logger(
    config_schema={
        "total_steps": dg.Field(int, default_value=0),
        "check_names": dg.Field([str], default_value=[]),
    },
    description="One line per step with its duration; for `agglo run`.",
)
def step_progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("agglo.progress")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.DEBUG)  # step events are DEBUG records
    config = init_context.logger_config
    logger.addHandler(_StepProgress(config["total_steps"], config["check_names"]))
    return logger


class ThrottledProgress:
    """Logs ``<what>: 120 of 3,400 done (3.5%), about 55 min left`` at most every
    ``every_s`` seconds and at the end, for steps that take minutes or hours (the
    online geocoder asks once a second). Called as ``progress(done, total, stats)``.
    """

    def __init__(self, log, what: str, every_s: float = 30.0) -> None:
        self.log, self.what, self.every_s = log, what, every_s
        self.started = time.monotonic()
        self.last = self.started

    def __call__(self, done: int, total: int, stats: dict | None = None) -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.every_s:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        left = (total - done) / rate if rate > 0 else float("nan")
        extra = f"; {stats}" if stats else ""
        self.log.info(
            f"{self.what}: {done:,} of {total:,} done ({done / max(total, 1):.1%}), "
            f"about {left / 60:.0f} min left{extra}"
        )
