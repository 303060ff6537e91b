from qa.text.chunking import chunk_spans, split_sentences


def sentences(text):
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_sentences_are_exact_trimmed_slices():
    text = "  First one here. Second one?  Third!\n\nNew paragraph without a stop\nstill same sentence. Done."
    spans = split_sentences(text)
    for s in spans:
        piece = text[s.start : s.end]
        assert piece == piece.strip() and piece
    assert sentences(text) == [
        "First one here.",
        "Second one?",
        "Third!",
        "New paragraph without a stop\nstill same sentence.",
        "Done.",
    ]


def test_abbreviations_and_initials_do_not_split():
    text = "Mr. Smith met Dr. Jones at 5 p.m. in the U.S. capital. J. K. Rowling wrote it. Then they left."
    assert sentences(text) == [
        "Mr. Smith met Dr. Jones at 5 p.m. in the U.S. capital.",
        "J. K. Rowling wrote it.",
        "Then they left.",
    ]


def test_quotes_stay_with_their_sentence():
    text = '"Do they want peace?" he asked. "Yes," she said.'
    assert sentences(text) == ['"Do they want peace?" he asked.', '"Yes," she said.']


def test_paragraph_break_always_ends_a_sentence():
    assert sentences(":: A heading\n\nBody text follows") == [":: A heading", "Body text follows"]


def test_chunks_are_whole_sentences_within_size_and_overlap():
    text = " ".join(f"Sentence number {i} is here with some words." for i in range(40))
    sents = split_sentences(text)
    chunks = chunk_spans(text, max_chars=200, overlap=1)
    starts = {s.start for s in sents}
    ends = {s.end for s in sents}
    for c in chunks:
        assert c.start in starts and c.end in ends
        assert c.end - c.start <= 200
    assert chunks[0].start == sents[0].start and chunks[-1].end == sents[-1].end
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start < a.end, "consecutive chunks share a sentence"
        assert b.start > a.start


def test_an_oversized_sentence_is_cut_at_spaces_into_chunks_of_the_size():
    text = "Short one. " + "word " * 100 + "end. Short two."
    chunks = chunk_spans(text, max_chars=50, overlap=1)
    assert all(c.end - c.start <= 50 for c in chunks) and len(chunks) > 10
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for c in chunks:
        piece = text[c.start : c.end]
        assert piece == piece.strip() and not piece.startswith("ord")  # cut between words, never inside one
    covered = set().union(*(range(c.start, c.end) for c in chunks))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), "nothing is left out"


def test_one_huge_word_still_makes_chunks_of_the_size():
    text = "x" * 100_000
    chunks = chunk_spans(text, max_chars=700, overlap=1)
    assert max(c.end - c.start for c in chunks) == 700 and chunks[-1].end == len(text)


def test_seed_article_chunk_offsets(service):
    snapshot = service.current().snapshot
    for chunk in snapshot.chunks:
        text = snapshot.articles[chunk.article_id].text
        piece = text[chunk.start : chunk.end]
        assert piece == piece.strip() and len(piece) <= service.settings.chunk_chars
