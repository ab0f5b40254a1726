"""converters.batch: results in input order whatever the number of jobs, progress per result,
the collector tuned during the batch and restored after it."""

import gc
import os

from converters.batch import YOUNG_THRESHOLD, batch_collector, run_batch


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def test_results_keep_input_order_in_process_and_over_workers():
    items = list(range(40))
    one = run_batch(_pid_and_square, items, 1)
    two = run_batch(_pid_and_square, items, 2, chunksize=3)
    assert [r[1] for r in one] == [r[1] for r in two] == [n * n for n in items]
    assert {r[0] for r in one} == {os.getpid()}
    assert os.getpid() not in {r[0] for r in two}  # the work ran in the forked workers


def test_too_few_items_stay_in_this_process():
    out = run_batch(_pid_and_square, [1, 2, 3], 2, min_parallel=4)
    assert {pid for pid, _ in out} == {os.getpid()}


def test_progress_is_called_once_per_result_and_warm_once():
    calls, warmed = [], []
    run_batch(_pid_and_square, list(range(20)), 2, progress=lambda: calls.append(1),
              warm=lambda: warmed.append(1))
    assert len(calls) == 20 and warmed == [1]


def test_the_collector_is_tuned_during_a_batch_and_restored_after():
    before = gc.get_threshold()
    with batch_collector():
        inside = gc.get_threshold()
        frozen = gc.get_freeze_count()
    assert inside[0] >= YOUNG_THRESHOLD and inside[1:] == before[1:]
    assert frozen > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_the_collector_is_restored_when_the_work_fails():
    before = gc.get_threshold()

    def boom(_):
        raise ValueError("bad rule")

    try:
        run_batch(boom, [1], 1)
    except ValueError:
        pass
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_warm_runs_only_before_forking():
    # in this process each item builds what it needs: a one-file validate pays for nothing else
    warmed = []
    run_batch(_pid_and_square, [1, 2, 3], 1, warm=lambda: warmed.append(1))
    assert warmed == []
