import pytest

from neiqin.core.errors import InvalidTransition
from neiqin.customers.choices import STAGE_TRANSITIONS, Stage


def test_allowed_and_refused_transitions():
    assert STAGE_TRANSITIONS.can(Stage.POTENTIAL, Stage.INTENDED)
    assert not STAGE_TRANSITIONS.can(Stage.SIGNED, Stage.POTENTIAL)


def test_refusal_names_both_states_in_chinese():
    with pytest.raises(InvalidTransition) as exc:
        STAGE_TRANSITIONS.check(Stage.SIGNED, Stage.POTENTIAL)
    assert "签约客户" in str(exc.value.message) and "潜在客户" in str(exc.value.message)


def test_same_state_is_reported_as_already_done():
    with pytest.raises(InvalidTransition) as exc:
        STAGE_TRANSITIONS.check(Stage.LOST, Stage.LOST)
    assert exc.value.code == "already_in_state"
