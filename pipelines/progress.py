"""A Dagster logger that prints one readable line per step, for the command line."""

import logging
import sys

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
