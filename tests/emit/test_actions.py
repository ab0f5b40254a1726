"""What a platform table records, as a note says it (converters.emit.actions)."""

from __future__ import annotations

from converters.emit.actions import described, unrecorded
from converters.platforms.facts import Actions, Rule


def test_a_decision_list_with_left_out_steps_names_them_as_exceptions():
    # Sysmon's process creation: a Linux fork or exit is typed start/end by Elastic but never recorded
    actions = Actions(None, (Rule(None, (("event.action", ("fork", "exit")),), recorded=False),
                             Rule(None, (("event.type", ("start", "process_started")),))))
    assert described(actions) == ("events with event.type start/process_started "
                                  "(not those with event.action fork/exit)")
    gap = unrecorded(actions)
    assert gap is not None and "fork" in str(gap) and "start" in str(gap)


def test_an_action_field_lists_its_values():
    actions = Actions("ActionType", (Rule("ProcessCreated", (("event.type", ("start",)),)),))
    assert described(actions) == "ActionType ProcessCreated"
