"""Acceptance spot-checks: a reproducible random sample of findings awaiting acceptance.

The draw is a pure function of the ledger at one log position and a seed:
findings awaiting acceptance are grouped by reporting unit and category, the
groups taken in sorted order, each group's ids sorted, and one
`random.Random(seed)` picks from each group in turn using only `random()`,
whose sequence Python promises to keep across versions. Anyone holding the
event log can therefore draw the same sample again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from random import Random

from eventsourcing.domain import Aggregate

from domain.state import FindingState, Status

# Only findings in this status are candidates for an acceptance spot-check.
SAMPLED_STATUS = Status.AWAITING_ACCEPTANCE


@dataclass(frozen=True)
class Sample:
    """A drawn spot-check sample, as recorded."""

    sample_id: str
    drawn_at: datetime
    operator: str
    operator_unit: str
    seed: int
    per_stratum: int
    position: int
    finding_ids: tuple[str, ...]


class SpotCheck(Aggregate):
    """One spot-check draw of the inspection team.

    Its events carry no `evolve`, so the ledger view and the audit replays,
    which fold only finding events, pass over them.
    """

    class SampleDrawn(Aggregate.Created):
        operator: str
        operator_unit: str
        seed: int
        per_stratum: int
        position: int
        finding_ids: list[str]

    def __init__(
        self,
        operator: str,
        operator_unit: str,
        seed: int,
        per_stratum: int,
        position: int,
        finding_ids: list[str],
    ) -> None:
        self.operator = operator
        self.operator_unit = operator_unit
        self.seed = seed
        self.per_stratum = per_stratum
        self.position = position
        self.finding_ids = list(finding_ids)

    @classmethod
    def draw(
        cls,
        at: datetime,
        *,
        operator: str,
        operator_unit: str,
        seed: int,
        per_stratum: int,
        position: int,
        finding_ids: list[str],
    ) -> SpotCheck:
        """Record a sample drawn from the log up to `position` with `seed`."""
        return cls._create(
            cls.SampleDrawn,
            timestamp=at,
            operator=operator,
            operator_unit=operator_unit,
            seed=seed,
            per_stratum=per_stratum,
            position=position,
            finding_ids=finding_ids,
        )


def sample_from(event: SpotCheck.SampleDrawn) -> Sample:
    """Return the sample a SampleDrawn event recorded, as a plain value."""
    return Sample(
        sample_id=str(event.originator_id),
        drawn_at=event.timestamp,
        operator=event.operator,
        operator_unit=event.operator_unit,
        seed=event.seed,
        per_stratum=event.per_stratum,
        position=event.position,
        finding_ids=tuple(event.finding_ids),
    )


def strata(states: Iterable[FindingState]) -> dict[tuple[str, str], list[str]]:
    """Group the ids of findings awaiting acceptance by (unit, category), sorted."""
    groups: dict[tuple[str, str], list[str]] = {}
    for state in states:
        if state.status is SAMPLED_STATUS:
            key = (state.reporting_unit, state.category)
            groups.setdefault(key, []).append(state.finding_id)
    return {key: sorted(groups[key]) for key in sorted(groups)}


def draw(states: Iterable[FindingState], per_stratum: int, seed: int) -> list[str]:
    """Pick up to `per_stratum` findings of each stratum; a small stratum gives all."""
    rng = Random(seed)
    picked: list[str] = []
    for ids in strata(states).values():
        if len(ids) <= per_stratum:
            picked.extend(ids)
            continue

        # A partial Fisher-Yates shuffle driven only by random().
        pool = list(ids)
        for i in range(per_stratum):
            j = i + int(rng.random() * (len(pool) - i))
            pool[i], pool[j] = pool[j], pool[i]
        picked.extend(sorted(pool[:per_stratum]))
    return picked
