"""A rule's schedule (Kibana's `interval` and `from`) in each platform's terms.

Kibana runs a rule every `interval` over the events since `from` (a look-back
longer than the interval covers late events; Kibana de-duplicates the alerts
of the overlap). Each platform has its own limits, declared here with their
sources; where a schedule cannot be kept the writer says so in a note.

* Splunk: `cron_schedule` (minute granularity, standard five-field cron) and
  `dispatch.earliest_time`/`latest_time` relative times (`-9m`, `now`)
  (Splunk savedsearches.conf.spec). Cron can step minutes only by a divisor
  of 60 and hours by a divisor of 24 to run at an even pace.
* Sentinel scheduled rules: `queryFrequency` and `queryPeriod` from 5 minutes
  to 14 days, period >= frequency (Azure-Sentinel repository, template
  validation `ScheduledTemplateInternalModel`: RangeTimeSpanIsoFormat
  "00:05:00".."14.00:00:00", PeriodGreaterThanOrEqualFrequency).
* Defender XDR custom detections: `schedule.period` one of 0 (continuous,
  NRT), 1H, 3H, 12H, 24H (Graph `ruleSchedule` resource); each run looks
  back a fixed time: 1H -> 4 hours, 3H -> 12 hours, 12H -> 48 hours,
  24H -> 30 days (Defender XDR docs, "Create and manage custom detection
  rules", Rule frequency).
"""

from __future__ import annotations

from dataclasses import dataclass

from converters.load.meta import format_duration

MINUTE, HOUR, DAY = 60, 3600, 86400

SENTINEL_MIN, SENTINEL_MAX = 5 * MINUTE, 14 * DAY

# Defender custom detection periods: (value, seconds between runs, look-back in seconds or None for NRT)
DEFENDER_PERIODS = (("0", 0, None), ("1H", HOUR, 4 * HOUR), ("3H", 3 * HOUR, 12 * HOUR),
                    ("12H", 12 * HOUR, 48 * HOUR), ("24H", DAY, 30 * DAY))


@dataclass(frozen=True)
class Schedule:
    every: int          # seconds between runs
    lookback: int       # seconds each run looks back
    notes: tuple[str, ...] = ()


def _divisor_step(value: int, base: int) -> int:
    """The divisor of `base` nearest to `value` (ties: the smaller, so runs are never rarer)."""
    divisors = [d for d in range(1, base + 1) if base % d == 0]
    return min(divisors, key=lambda d: (abs(d - value), d))


def splunk_cron(every: int) -> tuple[str, int, str | None]:
    """(cron_schedule, seconds it actually runs every, why it differs) for an interval."""
    if every < HOUR:
        minutes = max(1, round(every / MINUTE))
        step = _divisor_step(minutes, 60)
        cron = "* * * * *" if step == 1 else f"*/{step} * * * *"
        actual = step * MINUTE
    elif every < DAY:
        step = _divisor_step(round(every / HOUR), 24)
        cron = "0 * * * *" if step == 1 else f"0 */{step} * * *"
        actual = step * HOUR
    else:
        days = max(1, round(every / DAY))
        cron = "0 0 * * *" if days == 1 else f"0 0 */{days} * *"
        actual = days * DAY
        if days > 1:
            return cron, actual, (f"cron cannot run every {days} days at an even pace: "
                                  f"`{cron}` restarts at each month's first day")
    why = None
    if actual != every:
        why = f"cron runs at minute granularity by divisors of an hour or a day: every {format_duration(actual)}"
    return cron, actual, why


def splunk_relative(seconds: int) -> str:
    """A Splunk relative time modifier, `-9m`."""
    return "-" + format_duration(seconds)


def sentinel_times(every: int, lookback: int) -> tuple[int, int, list[str]]:
    """(queryFrequency, queryPeriod, reasons) within Sentinel's limits."""
    why = []
    freq = min(max(every, SENTINEL_MIN), SENTINEL_MAX)
    if freq != every:
        why.append(f"Sentinel runs a scheduled rule every 5 minutes to 14 days: every {format_duration(freq)}")
    period = min(max(lookback, freq), SENTINEL_MAX)
    if period != lookback:
        why.append(f"Sentinel's query period is at least the frequency and at most 14 days: "
                   f"it looks back {format_duration(period)}")
    return freq, period, why


def iso8601(seconds: int) -> str:
    """An ISO 8601 duration as ARM expects: PT5M, PT1H, P1D, P1DT2H."""
    days, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, HOUR)
    minutes, secs = divmod(rest, MINUTE)
    out = "P" + (f"{days}D" if days else "")
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return out + ("T" + time if time else "") if (days or time) else "PT0S"


def defender_period(every: int) -> tuple[str, int | None]:
    """The allowed Defender period nearest to the interval (ties: the more frequent), and its look-back."""
    value, _, lookback = min(DEFENDER_PERIODS, key=lambda p: (abs(p[1] - every), p[1]))
    return value, lookback
