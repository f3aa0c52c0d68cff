"""A "not covered" answer that carries a safeguarding line cites that line's source and still lists the closest sources
its text says are "listed below": in the console, in Slack's blocks and in their plain-text fallback."""

from bot import prompts
from bot.console import render_answer
from bot.slack.blocks import _fallback, answer_blocks
from bot.types import Answer, AnswerKind, Citation

LINE_SOURCE = Citation(number=1, chunk_id="c1", doc_id="coercion.md", title="Responding to coercion",
                       url="https://example.org/coercion")
NEAR = [Citation(number=2, chunk_id="c2", doc_id="sar.md", title="Subject access requests",
                 url="https://example.org/sar"),
        Citation(number=3, chunk_id="c3", doc_id="proxy.md", title="Proxy access", url="https://example.org/proxy")]


def _declined_story() -> Answer:
    text = f"{prompts.NOT_COVERED}\n\n*Safeguarding:* Switch off the patient's record access. [1]"
    return Answer(question="q", text=text, kind=AnswerKind.not_covered, citations=[LINE_SOURCE], closest=NEAR,
                  safeguarding=True)


def test_the_console_shows_the_line_source_and_the_closest_sources():
    shown = render_answer(_declined_story())
    assert f"{prompts.SOURCES_HEADING}:\n[1] Responding to coercion" in shown
    closest = shown.index(f"{prompts.CLOSEST_SOURCES_HEADING}:")
    assert "[2] Subject access requests" in shown[closest:] and "[3] Proxy access" in shown[closest:]


def test_slack_shows_both_lists_in_blocks_of_their_own_and_in_the_fallback():
    blocks = answer_blocks(_declined_story(), answer_id="a1", channel="C1", thread_ts="1.0")
    ids = [b.block_id for b in blocks if b.block_id]
    assert len(ids) == len(set(ids))  # Slack rejects a message whose blocks share an id
    texts = {b.block_id: b.elements[0].text for b in blocks if b.block_id in ("sources", "closest_sources")}
    assert "Responding to coercion" in texts["sources"] and "Proxy access" not in texts["sources"]
    assert "Subject access requests" in texts["closest_sources"] and "Proxy access" in texts["closest_sources"]
    fallback = _fallback(_declined_story())
    assert "[1] Responding to coercion" in fallback and "[3] Proxy access" in fallback


def test_an_answered_question_shows_its_sources_only():
    answered = Answer(question="q", text="Yes. [1]", kind=AnswerKind.answered, citations=[LINE_SOURCE], closest=NEAR)
    assert answered.shown_sources == [("sources", [LINE_SOURCE])]
    assert prompts.CLOSEST_SOURCES_HEADING not in render_answer(answered)


def test_the_closest_sources_leave_out_the_cited_document_and_follow_its_number():
    from bot.pipeline import closest_sources
    from bot.retrieval import Retrieval
    from bot.types import Chunk, Citation, ScoredChunk

    def chunk(doc, n):
        return Chunk(chunk_id=f"{doc}-{n}", doc_id=doc, title=doc, heading_path=[doc],
                     source_urls=[f"https://example.org/{doc}"], text="Some guidance.")

    results = [ScoredChunk(chunk=c, score=1.0) for c in
               [chunk("line", 0), chunk("a", 0), chunk("line", 1), chunk("a", 1), chunk("b", 0), chunk("c", 0)]]
    retrieval = Retrieval(query=None, query_vector=None, results=results, candidates=len(results))
    cited = [Citation(number=2, chunk_id="line-0", doc_id="line", title="line", url="https://mirror.example.net/line")]
    closest = closest_sources(retrieval, 3, cited)
    assert [(c.number, c.doc_id) for c in closest] == [(3, "a"), (4, "b"), (5, "c")]  # topped up to three
    assert [c.doc_id for c in closest_sources(retrieval, 2)] == ["line", "a"]
