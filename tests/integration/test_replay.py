from sqlalchemy import select, text

from creditbank.models import Institution
from creditbank.projections import replay
from creditbank.services.records import api_keys
from tests.helpers import append, register


def snapshot(bank) -> list[tuple]:
    with bank.db.reading() as session:
        return [
            (
                i.id,
                i.type,
                i.name_en,
                i.name_zh,
                i.parent_id,
                i.credit_unit,
                i.hours_per_unit,
                i.status,
                i.registered_seq,
            )
            for i in session.scalars(select(Institution).order_by(Institution.id))
        ]


def test_replay_rebuilds_identical_projections(bank):
    register(bank, "national", type="open_university", name_zh="国家开放大学", credit_unit="credit", hours_per_unit=18)
    append(bank, 5)
    register(bank, "branch", type="open_university", parent="national")
    register(bank, "point", type="community", parent="branch", credit_unit="hour", hours_per_unit=1)
    issued = api_keys.issue(bank, "branch")
    before = snapshot(bank)
    assert len(before) == 3
    with bank.db.engine.begin() as connection:
        connection.execute(text("UPDATE institutions SET name_en = 'drifted' WHERE id = 'point'"))
    assert snapshot(bank) != before
    with bank.db.writing() as session:
        applied = replay(session)
    assert applied == 8
    assert snapshot(bank) == before
    assert api_keys.authenticate(bank, f"Bearer {issued.token}").institution_id == "branch"
