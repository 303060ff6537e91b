"""The cascade: the first reader answers every question, the second re-reads those the first is unsure of."""

import pytest

from qa import QAService
from qa.answering.base import Answers
from qa.answering.cascade import Cascade
from qa.errors import ReaderError

from .conftest import assert_cited


class Fixed:
    """An answerer that always replies `reply`, and counts what it was asked."""

    def __init__(self, reply: Answers):
        self.reply, self.asked = reply, []

    def answers(self, question, passages, shown=()):
        self.asked.append((question, tuple(shown)))
        return self.reply


def test_the_second_reads_only_below_the_threshold_and_its_reply_stands():
    sure, unsure, abstained = Answers(["a"], 0.9), Answers(["b"], 0.5), Answers([], 0.2)
    second, made = Fixed(Answers(["c"], 0.7)), []
    sure_first = Cascade(Fixed(sure), lambda: made.append(1) or second, 0.8)
    assert sure_first.answers("q", []) is sure
    assert second.asked == [] and made == [], "the second is not even made while the first is sure"
    unsure_first = Cascade(Fixed(unsure), lambda: made.append(1) or second, 0.8)
    assert unsure_first.answers("who else?", [], ["b"]) is second.reply  # its answers replace the first's
    Cascade(Fixed(abstained), lambda: made.append(1) or second, 0.8).answers("and?", [])
    assert second.asked == [("who else?", ("b",)), ("and?", ())] and made == [1, 1]


def test_the_second_confirms_an_abstention_but_never_takes_an_answer_away():
    unsure, abstained, abstains = Answers(["b"], 0.5), Answers([], 0.2), Answers([], 0.1)
    assert Cascade(Fixed(abstained), lambda: Fixed(abstains), 0.8).answers("q", []) is abstains
    assert Cascade(Fixed(unsure), lambda: Fixed(abstains), 0.8).answers("q", []) is unsure


def test_a_service_with_a_second_reader_answers_from_it_when_unsure(fresh_service, tiny_mpnet):
    s = fresh_service.settings.replace(second_reader=str(tiny_mpnet), second_below=1.0, second_min_probability=0.0)
    qa = QAService(s, fresh_service.embedder, fresh_service.reader)
    qa.build()
    first = fresh_service.settings.replace(index_dir=s.index_dir)
    result = qa.ask("Who is the Italian foreign minister?")
    assert result.answers, "the second reader, at min probability 0, always answers"
    for answer in result.answers:
        assert_cited(qa, answer)
    alone = QAService(first, fresh_service.embedder, fresh_service.reader).ask("Who is the Italian foreign minister?")
    assert [a.text for a in result.answers] != [a.text for a in alone.answers]  # a random tiny model, not the first


def test_what_the_first_reader_would_abstain_on_is_always_re_read(fresh_service, tiny_mpnet):
    """A higher min_probability alone widens the re-read band with it: no abstention goes unconfirmed."""
    fresh_service.build()  # one index, read by each service below
    for second_below, min_probability, below in ((0.0, 0.9, 0.9), (0.7, 0.38, 0.7), (0.0, 0.38, 0.38)):
        s = fresh_service.settings.replace(
            second_reader=str(tiny_mpnet), second_below=second_below, min_probability=min_probability
        )
        qa = QAService(s, fresh_service.embedder, fresh_service.reader)
        assert qa.current().answerer.below == below


def test_a_missing_second_reader_is_named_when_the_service_warms_up(fresh_service, tmp_path):
    s = fresh_service.settings.replace(second_reader=str(tmp_path / "no-such-reader"))
    qa = QAService(s, fresh_service.embedder, fresh_service.reader)
    qa.build()
    with pytest.raises(ReaderError, match="no-such-reader"):
        qa.warm_up()


def test_the_rules_are_never_cascaded(fresh_service, tiny_mpnet):
    """The rules' scores are not calibrated probabilities, so a second reader has no threshold to act on."""
    s = fresh_service.settings.replace(answerer="rules", second_reader=str(tiny_mpnet), second_below=1.0)
    qa = QAService(s, fresh_service.embedder, fresh_service.reader)
    qa.build()
    qa.warm_up()
    assert qa.second_reader is None and not isinstance(qa.current().answerer, Cascade)
