"""Reader calls share the process's cores: alone on all of them, side by side on one each, never more at once."""

import threading
import time

from qa.models.cores import SharedCores


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
