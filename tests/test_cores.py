"""Reader calls share the process's cores: alone on all of them, side by side on one each, never more at once."""

import threading
import time

from qa.models.cores import Cores, SharedCores


class Recorder:
    """Runners that note how many threads each call ran on, and the most cores held at once."""

    def __init__(self):
        self.lock, self.running, self.most, self.used = threading.Lock(), 0, 0, []

    def make(self, threads: int):
        def run(inputs):
            with self.lock:
                self.running += threads
                self.most = max(self.most, self.running)
                self.used.append(threads)
            time.sleep(inputs)
            with self.lock:
                self.running -= threads
            return threads

        return run


def test_a_call_alone_gets_every_core():
    record = Recorder()
    cores = SharedCores(record.make, 4)
    assert [cores(0.0) for _ in range(3)] == [4, 4, 4]


def test_calls_side_by_side_get_one_core_each_and_never_more_than_there_are():
    record = Recorder()
    cores = SharedCores(record.make, 2)
    threads = [threading.Thread(target=cores, args=(0.05,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert record.most <= 2, "never more threads busy than cores"
    assert record.used.count(1) >= 6, "under load the calls ran one core each"


def test_two_models_sharing_the_cores_never_hold_more_than_there_are_together():
    """A cascade's two readers, each called from many threads: one pool of cores between them."""
    record, shared = Recorder(), Cores(2)
    first, second = SharedCores(record.make, 2, shared), SharedCores(record.make, 2, shared)
    threads = [threading.Thread(target=model, args=(0.03,)) for _ in range(6) for model in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert record.most <= 2, "never more threads busy than cores, whichever model runs"
    assert first(0.0) == second(0.0) == 2, "alone, either gets every core"


def test_a_failing_call_gives_its_cores_back():
    def make(threads):
        def run(inputs):
            raise RuntimeError("model failed")

        return run

    cores, failures = SharedCores(make, 2), []

    def call():
        try:
            cores(None)
        except RuntimeError:
            failures.append(1)

    for _ in range(3):  # a call would wait for ever if a failure before it had kept its cores
        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        thread.join(5)
        assert not thread.is_alive(), "a failed call kept its cores"
    assert len(failures) == 3


def test_a_call_whose_asker_has_gone_is_dropped_while_it_waits_and_its_turn_goes_to_the_next():
    from qa.errors import Abandoned
    from qa.models.cores import WANTED

    record, gone = Recorder(), threading.Event()
    cores = SharedCores(record.make, 1)
    first = threading.Thread(target=cores, args=(0.6,))
    first.start()
    time.sleep(0.05)
    dropped: list = []

    def waiting():
        WANTED.set(lambda: not gone.is_set())
        try:
            cores(0.0)
        except Abandoned as exc:
            dropped.append(exc)

    second = threading.Thread(target=waiting)
    second.start()
    time.sleep(0.05)
    gone.set()
    second.join(2)
    assert dropped and first.is_alive(), "dropped while the first call still held the core"
    first.join()
    assert record.used == [1] and cores(0.0) == 1, "it never ran, and the core is free for the next call"


def test_waiting_calls_get_the_core_in_the_order_they_came():
    order: list[int] = []

    def make(threads: int):
        def run(label):
            order.append(label)
            time.sleep(0.2 if label == 0 else 0.01)

        return run

    cores = SharedCores(make, 1)
    threads = []
    for label in range(6):  # 0 holds the core while 1..5 line up, one after another
        threads.append(threading.Thread(target=cores, args=(label,)))
        threads[-1].start()
        time.sleep(0.02)
    for t in threads:
        t.join()
    assert order == [0, 1, 2, 3, 4, 5]
