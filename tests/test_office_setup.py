"""README's PostgreSQL set-up for an office, run for real on the local server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import NewFinding, Operator, open_ledger
from tests.pg import admin_connection, database_url, unique_name


@pytest.fixture
def office() -> Iterator[dict[str, str]]:
    """Roles and a database made as README says, all dropped afterwards."""
    names = {
        "owner": unique_name("tzown"),
        "database": unique_name("tzoffice"),
        "first": unique_name("tzclerk"),
        "second": unique_name("tzclerk"),
    }
    i = sql.Identifier
    with admin_connection() as admin:
        admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(i(names["owner"])))
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(
                i(names["database"]), i(names["owner"])
            )
        )
        for clerk in ("first", "second"):
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
                    i(names[clerk]), i(names["owner"])
                )
            )
            admin.execute(
                sql.SQL("ALTER ROLE {} SET role = {}").format(
                    i(names[clerk]), sql.Literal(names["owner"])
                )
            )
    try:
        yield names
    finally:
        with admin_connection() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    i(names["database"])
                )
            )
            for role in ("first", "second", "owner"):
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(i(names[role])))


def test_clerks_of_the_office_share_one_store_owned_by_the_office_role(
    office: dict[str, str],
    campaign: Campaign,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
) -> None:
    host = database_url(office["database"]).split("//", 1)[1].split("@", 1)[-1]
    first_url = f"postgresql://{office['first']}@{host}"
    second_url = f"postgresql://{office['second']}@{host}"

    first = open_ledger(campaign, first_url, clock)
    finding_id = first.record(Operator("张三", "褚河街道"), new_finding())
    second = open_ledger(campaign, second_url, clock)
    second.withdraw(Operator("李四", "褚河街道"), finding_id, 1, reason="重复")
    first.catch_up()

    assert first.row(finding_id).status == second.row(finding_id).status
    assert first.verify().intact
    first.close()
    second.close()
    with psycopg.connect(database_url(office["database"])) as db:
        owners = db.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    assert owners == [(office["owner"],)]
