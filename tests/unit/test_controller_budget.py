"""A run with a time budget stops before a round that would overrun it, or once every question
is decided (never before min_rounds), and goes on otherwise."""

from __future__ import annotations

from controller.budget import Budget

PLAN = {"design": "rounds", "budget_s": 100, "min_rounds": 3, "round_estimate_s": 20}
OPEN = {"questions": 4, "open": 1}
DONE = {"questions": 4, "open": 0}


def test_no_budget_or_no_rounds_means_no_budget():
    assert Budget.of({**PLAN, "budget_s": 0}, 0.0) is None
    assert Budget.of({**PLAN, "design": "shuffled"}, 0.0) is None
    assert Budget.of(PLAN, 0.0) is not None


def test_the_next_round_must_fit_the_budget_at_the_observed_round_time():
    budget = Budget.of(PLAN, 0.0)
    assert budget is not None
    assert budget.before(1, 0.0, lambda: OPEN) is None       # 0 + 20 (estimate) <= 100
    assert budget.before(2, 30.0, lambda: OPEN) is None      # round 1 took 30: 30 + 30 <= 100
    stop = budget.before(3, 60.0, lambda: OPEN)              # 60 + 30 <= 100: goes on
    assert stop is None
    stop = budget.before(4, 95.0, lambda: OPEN)              # rounds took 30, 30, 35: 95 + 31.7
    assert stop is not None and "round 4 would overrun the budget of 100 s" in stop


def test_decided_questions_stop_the_run_only_after_min_rounds():
    budget = Budget.of({**PLAN, "budget_s": 10_000}, 0.0)
    assert budget is not None
    asked = []

    def decided():
        asked.append(1)
        return DONE

    assert budget.before(1, 0.0, decided) is None
    assert budget.before(2, 10.0, decided) is None
    assert budget.before(3, 20.0, decided) is None
    assert asked == []                                       # fewer than 3 rounds: never asked
    stop = budget.before(4, 30.0, decided)
    assert stop is not None and "every question is decided after round 3" in stop


def test_an_unanswered_or_open_question_keeps_the_run_going():
    budget = Budget.of({**PLAN, "budget_s": 10_000, "min_rounds": 1}, 0.0)
    assert budget is not None
    assert budget.before(1, 0.0, lambda: None) is None
    assert budget.before(2, 10.0, lambda: None) is None      # the decider could not answer
    assert budget.before(3, 20.0, lambda: OPEN) is None
    assert budget.before(4, 30.0, lambda: {"questions": 0, "open": 0}) is None  # nothing asked
