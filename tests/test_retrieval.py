"""Query preparation, fusion and collapsing (no index needed)."""

import numpy as np
import pytest

from bot.passage_match import heading_mismatch
from bot.query import Glossary, PreparedQuery, detect_systems, is_follow_up, prepare_query
from bot.retrieval import FeatureReranker, collapse, reciprocal_rank_fusion
from bot.settings import RetrievalSettings
from bot.types import Chunk, ScoredChunk


def test_glossary_expands_acronyms_whole_words_only():
    glossary = Glossary({"DPIA": ["data protection impact assessment"], "S1": ["SystmOne", "TPP"], "DA": ["domestic abuse"]})
    assert glossary.expand("who writes the DPIA?") == "who writes the DPIA? data protection impact assessment"
    assert "SystmOne TPP" in glossary.expand("on S1 how do I")
    assert glossary.expand("data about DAta") == "data about DAta"  # not inside words
    assert glossary.expand("DA survivors") == "DA survivors domestic abuse"


def test_glossary_acronyms_match_in_the_plural_and_words_do_not():
    glossary = Glossary({"SAR": ["subject access request"], "ICB": ["integrated care board"], "redact": ["redaction"]})
    assert glossary.matches("has switching on cut SARs anywhere?") == ["SAR"]
    assert glossary.matches("two ICBs said so") == ["ICB"]
    assert glossary.matches("can patients see their SARS-CoV-2 results online?") == []  # a virus, not the plural
    assert glossary.matches("we redacts") == []  # an ordinary word keeps its own form
    assert glossary.matches("SARSA") == []


def test_glossary_multiword_terms_and_no_duplicate_expansion():
    glossary = Glossary({"104 code": ["enhanced review indicated"], "opt out": ["decline access", "103 code"]})
    assert glossary.expand("remove the 104-code") .endswith("enhanced review indicated")
    assert glossary.expand("enhanced review indicated 104 code") == "enhanced review indicated 104 code"
    assert glossary.matches("can patients opt  out?") == ["opt out"]


def test_glossary_loads_real_file():
    from pathlib import Path

    glossary = Glossary.load(Path(__file__).resolve().parents[1] / "knowledge" / "glossary.yaml")
    assert "DPIA" in glossary.entries


def test_the_real_glossary_spells_out_dv_before_search_and_leaves_da():
    """"DV" read as itself sits beside "DVLA" for the embedding (session 21): the story must reach the guidance."""
    from pathlib import Path

    glossary = Glossary.load(Path(__file__).resolve().parents[1] / "knowledge" / "glossary.yaml")
    assert glossary.spell_out("does the DV guidance apply to a man?") == "does the domestic violence guidance apply to a man?"
    # "DA" means other things too: a sign-off, Welsh "good morning", Portuguese "of the" (a review's findings)
    for text in ("DA approved the DPIA", "Bore da, can pts see results", "pedido da paciente"):
        assert "domestic" not in glossary.spell_out(text)
    assert glossary.spell_out("DVLA form and a dvd") == "DVLA form and a dvd"  # whole words only


def test_detects_clinical_systems():
    assert detect_systems("TPP practice, how do we") == ["systmone"]
    assert detect_systems("on S1 and EMIS Web") == ["emis", "systmone"]
    assert detect_systems("what is SystmOnline") == ["systmone"]
    assert detect_systems("who is the Data Protection Officer") == []


def test_follow_up_uses_the_previous_question():
    glossary = Glossary({})
    query = prepare_query("and for under-16s?", glossary, history=["who can have proxy access to a record"])
    assert is_follow_up("and for under-16s?")
    assert query.retrieval_text.startswith("who can have proxy access")
    # a short message in a thread continues it even without "that" or "it"
    short = prepare_query("cant we just delete her whole app account?", glossary, history=["ex partner reads her record"])
    assert short.retrieval_text == "ex partner reads her record cant we just delete her whole app account?"
    long = ("what is the 104 code used for in practice today when a patient registers with us from a practice "
            "that never switched on")
    assert prepare_query(long, glossary, history=["x"]).retrieval_text == long
    # a long message that opens by carrying on ("ok and…") still leans on the question before it
    carried = "ok and when the gp has been through all of it and is happy for him to see everything again?"
    assert len(carried.split()) > 15
    assert prepare_query(carried, glossary, history=["what code holds back his access"]).retrieval_text == (
        f"what code holds back his access {carried}")
    assert prepare_query("android " + long, glossary, history=["x"]).retrieval_text == "android " + long
    # a longer message that points back at the thread ("do it", "them") leans on it too; one that does not, alone
    pointing = "does she really have to book in with a gp first for this or could one of us just do it at the front desk?"
    assert 15 < len(pointing.split()) <= 30
    assert prepare_query(pointing, glossary, history=["her bf reads her app"]).retrieval_text == (
        f"her bf reads her app {pointing}")
    unrelated = pointing.replace("do it", "switch her access off")
    assert prepare_query(unrelated, glossary, history=["her bf reads her app"]).retrieval_text == unrelated
    # a dummy "it" ("is it possible", "it is") and the IT team point back at nothing
    for alone in ("Is it possible to switch on prospective access for every patient registered before November in "
                  "SystmOne as one batch?", "our IT team says the 104 search has never worked on the branch site's "
                  "machines, who else could run the report for us?"):
        assert prepare_query(alone, glossary, history=["x"]).retrieval_text == alone


def test_a_follow_up_naming_another_system_asks_the_earlier_question_of_that_system():
    glossary = Glossary({})
    query = prepare_query("and on s1?", glossary, history=["how do I hide one consultation in emis web?"])
    assert query.retrieval_text == "how do I hide one consultation in s1? and on s1?"
    assert query.systems == ["systmone"]
    # the same system again, or one the earlier question already names beside another: the earlier question stands
    assert prepare_query("and in emis?", glossary, history=["hiding a result in emis"]).retrieval_text == (
        "hiding a result in emis and in emis?")
    both = prepare_query("and on tpp?", glossary, history=["bulk coding in emis and s1"])
    assert both.retrieval_text.startswith("bulk coding in emis and s1") and both.systems == ["emis", "systmone"]
    # an earlier question naming no system gains none
    assert prepare_query("what about s1?", glossary, history=["who sees hidden entries"]).retrieval_text == (
        "who sees hidden entries what about s1?")


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60)
    assert max(fused, key=fused.get) == "b"
    assert fused["a"] > fused["d"]  # rank 1 in one list beats rank 2 in another
    assert abs(fused["b"] - (1 / 62 + 1 / 61)) < 1e-12


def _hit(chunk_id, doc, score):
    return ScoredChunk(chunk=Chunk(chunk_id=chunk_id, doc_id=doc, text=chunk_id, title=doc), score=score)


def test_collapse_near_duplicates_and_two_per_document():
    hits = [_hit("a1", "A", 0.9), _hit("a2", "A", 0.8), _hit("a3", "A", 0.7), _hit("b1", "B", 0.6), _hit("c1", "C", 0.5)]
    vectors = {
        "a1": np.array([1.0, 0.0]), "a2": np.array([0.0, 1.0]), "a3": np.array([0.6, 0.8]),
        "b1": np.array([0.999, 0.0447]), "c1": np.array([0.0, -1.0]),
    }
    kept = [h.chunk.chunk_id for h in collapse(hits, vectors, per_doc=2)]
    assert kept == ["a1", "a2", "c1"]  # a3: third from A; b1: near-duplicate of a1
    assert [h.chunk.chunk_id for h in collapse(hits, vectors, per_doc=3)] == ["a1", "a2", "a3", "c1"]


def test_collapse_caps_a_long_page_per_topic_and_a_focused_document_whole():
    def hit(chunk_id, doc, path, score):
        return ScoredChunk(chunk=Chunk(chunk_id=chunk_id, doc_id=doc, text=chunk_id, title=path[0], heading_path=path),
                           score=score)

    hub = ["Online access hub"]  # a long page: topics (##), each with sections of its own (###)
    focused = ["Hiding a result"]  # a focused document: one level of sections
    hits = [
        hit("h1", "H", [*hub, "The 104 code", "What it does"], 0.9),
        hit("h2", "H", [*hub, "The 104 code", "Who gets it"], 0.85),
        hit("h3", "H", [*hub, "The 104 code", "Steps"], 0.8),  # third of one topic: dropped
        hit("h4", "H", [*hub, "Proxy access", "Children"], 0.75),  # another topic of the same page: kept
        hit("h5", "H", [*hub, "Proxy access"], 0.74),  # a topic's lead paragraph counts with the page
        hit("f1", "F", [*focused, "In EMIS Web"], 0.7),
        hit("f2", "F", [*focused, "In SystmOne"], 0.65),
        hit("f3", "F", [*focused, "Telling the patient"], 0.6),  # third of the document: dropped
    ]
    vectors = {h.chunk.chunk_id: np.eye(len(hits))[i] for i, h in enumerate(hits)}  # no two alike
    kept = [h.chunk.chunk_id for h in collapse(hits, vectors, per_doc=2)]
    assert kept == ["h1", "h2", "h4", "h5", "f1", "f2"]


def test_collapse_holds_a_page_of_many_topics_to_twice_the_cap():
    """Each topic of a page is capped on its own, but the page as a whole gets at most 2 x per_doc passages,
    so one imported page with sub-sections everywhere cannot fill the context."""
    hits = [ScoredChunk(chunk=Chunk(chunk_id=f"p{n}", doc_id="P", text=f"p{n}", title="Page",
                                    heading_path=["Page", f"Topic {n}", "Detail"]), score=1 - n / 10)
            for n in range(6)]
    hits.append(ScoredChunk(chunk=Chunk(chunk_id="other", doc_id="O", text="other", title="Other",
                                        heading_path=["Other"]), score=0.1))
    vectors = {h.chunk.chunk_id: np.eye(len(hits))[i] for i, h in enumerate(hits)}
    kept = [h.chunk.chunk_id for h in collapse(hits, vectors, per_doc=2)]
    assert kept == ["p0", "p1", "p2", "p3", "other"]


def test_reranker_gives_glossary_expansions_the_shares_the_settings_say():
    """A passage whose title and text hold only the glossary expansion of the question's one term (cosine 0, no
    clinical system): its lexical feature is RERANK_EXPANSION_SHARE and its title feature
    RERANK_TITLE_EXPANSION_WEIGHT."""
    query = PreparedQuery(raw="dpia?", text="dpia?", retrieval_text="dpia", systems=[], glossary_terms=["dpia"],
                          expanded="dpia data protection impact assessment")
    chunk = Chunk(chunk_id="c", doc_id="d", title="Data protection impact assessment", text="A data protection impact "
                  "assessment is written before access is switched on.")
    candidates, vectors, question = [ScoredChunk(chunk=chunk, score=0.0)], {"c": np.zeros(2)}, np.ones(2)

    def score(tuning):
        return FeatureReranker(tuning).rerank(query, question, candidates, vectors)[0].score

    tuning = RetrievalSettings.model_construct(rerank_lexical_weight=0.45, rerank_title_weight=0.15,
                                               rerank_fusion_weight=0.0)
    assert abs(score(tuning) - (0.45 * 0.2 + 0.15 * 0.5)) < 1e-12
    # the one candidate is first in the fused order: the fusion bonus is its whole weight
    assert abs(score(tuning.model_copy(update={"rerank_fusion_weight": 0.1})) - score(tuning) - 0.1) < 1e-12
    changed = tuning.model_copy(update={"rerank_expansion_share": 1.0, "rerank_title_expansion_weight": 0.0})
    assert abs(score(changed) - 0.45) < 1e-12
    # every title term is among the question's expansions: no heading mismatch is taken off
    assert abs(score(tuning.model_copy(update={"rerank_heading_mismatch_weight": 1.0})) - score(tuning)) < 1e-12


def test_reranker_keeps_a_little_of_the_fused_order():
    """Two passages the features score alike but for a small lexical edge to the second (the first lacks a term of
    low weight): the fused order (the order the candidates come in) decides once RERANK_FUSION_WEIGHT outweighs the
    edge; the bonus falls as 1 / (1 + place), and the passage's own score (what the decline model reads) never
    holds it."""
    query = PreparedQuery(raw="", text="", retrieval_text="remedial notice breach", expanded="remedial notice breach",
                          systems=[], glossary_terms=[])
    first = Chunk(chunk_id="first", doc_id="a", title="Contract", text="A remedial notice gives 28 days.")
    second = Chunk(chunk_id="second", doc_id="b", title="Contract", text="A remedial notice after a breach notice.")
    candidates = [ScoredChunk(chunk=first, score=0.0), ScoredChunk(chunk=second, score=0.0)]
    vectors, question = {"first": np.ones(2) / 2, "second": np.ones(2) / 2}, np.ones(2)

    def reranked(weight):
        tuning = RetrievalSettings.model_construct(rerank_fusion_weight=weight, rerank_heading_mismatch_weight=0.0)
        return FeatureReranker(tuning, idf=lambda t: {"breach": 0.05}.get(t, 1.0)).rerank(query, question, candidates,
                                                                                         vectors)

    assert [c.chunk.chunk_id for c in reranked(0.0)] == ["second", "first"]  # the lexical edge
    assert [c.chunk.chunk_id for c in reranked(0.3)] == ["first", "second"]  # the fused order
    with_bonus = {c.chunk.chunk_id: c for c in reranked(0.3)}
    without = {c.chunk.chunk_id: c for c in reranked(0.0)}
    assert abs(with_bonus["first"].score - without["first"].score - 0.3) < 1e-12
    assert abs(with_bonus["second"].score - without["second"].score - 0.15) < 1e-12
    assert all(with_bonus[k].passage_score == without[k].passage_score for k in with_bonus)


def test_heading_mismatch_is_the_idf_weighted_share_of_heading_terms_the_question_lacks():
    idf = {"proxi": 1.0, "child": 3.0, "parent": 4.0}.get
    assert heading_mismatch({"proxi", "child", "parent"}, {"proxi", "son"}, idf) == 7.0 / 8.0
    assert heading_mismatch({"proxi"}, {"proxi", "son"}, idf) == 0.0
    assert heading_mismatch(set(), {"proxi"}, idf) == 0.0  # a passage without headings is not penalised
    assert heading_mismatch({"proxi", "child"}, {"proxi"}, lambda t: 1.0) == 0.5


def test_reranker_puts_the_page_whose_title_names_another_subject_below():
    """Two passages equally close to the question and sharing its words; one page's title names a subject the
    question does not (a child's record). With the mismatch weight it goes second; without it, text order stays."""
    query = PreparedQuery(raw="", text="", retrieval_text="son applies for proxy access to his father's record",
                          expanded="son applies for proxy access to his father's record", systems=[], glossary_terms=[])
    text = "Check the applicant's identity before granting proxy access to the record."
    child = Chunk(chunk_id="child", doc_id="c", title="Parental responsibility for a child's record", text=text)
    adult = Chunk(chunk_id="adult", doc_id="a", title="Proxy access to an adult's record", text=text)
    candidates = [ScoredChunk(chunk=child, score=0.0), ScoredChunk(chunk=adult, score=0.0)]
    vectors, question = {"child": np.ones(2) / 2, "adult": np.ones(2) / 2}, np.ones(2)
    idf = {"child": 3.0, "parent": 3.0, "respons": 2.0, "adult": 2.0}
    base = RetrievalSettings.model_construct(rerank_title_weight=0.0, rerank_fusion_weight=0.0)

    def order(weight):
        reranker = FeatureReranker(base.model_copy(update={"rerank_heading_mismatch_weight": weight}),
                                   idf=lambda t: idf.get(t, 1.0))
        return [c.chunk.chunk_id for c in reranker.rerank(query, question, candidates, vectors)]

    assert order(0.0) == ["child", "adult"]  # a tie: the fused order stands
    assert order(0.1) == ["adult", "child"]


def test_staff_shorthand_is_spelt_out_before_the_question_is_searched(tmp_path):
    from bot.query import Glossary, prepare_query

    path = tmp_path / "glossary.yaml"
    path.write_text('NHSE: [NHS England]\nshorthand:\n  pt: patient\n  pts: patients\n  "pt\'s": "patient\'s"\n')
    glossary = Glossary.load(path)
    query = prepare_query("Pt's partner reads her app - can pts be switched off? (NHSE)", glossary)
    assert query.retrieval_text == "patient's partner reads her app - can patients be switched off? (NHSE)"
    assert query.text.startswith("Pt's partner")  # what was asked is recorded as asked
    assert "NHS England" in query.expanded
    assert glossary.spell_out("the ptosis rota; opt out") == "the ptosis rota; opt out"  # whole words only
    follow_up = prepare_query("and for that pt?", glossary, history=["can a pt see her results"])
    assert follow_up.retrieval_text == "can a patient see her results and for that patient?"
    path.write_text("shorthand: [pt]\n")
    with pytest.raises(ValueError, match="shorthand"):
        Glossary.load(path)


def test_a_title_before_a_name_is_no_search_term():
    """Guidance writes "Dr" only before someone it quotes; staff write "the dr" for their own doctor. A question
    about what the doctor wrote must not match a passage for naming a Dr."""
    from bot.index import analyze
    from bot.index.keyword import KeywordIndex

    assert analyze("the Dr wrote it in her notes, Mr and Mrs Smith") == analyze("the wrote it in her notes, and Smith")
    index = KeywordIndex.build(["quote", "notes"], ["Dr Kiren Collison's examples were reported in 2023.",
                                                    "Patients can read what is written in their notes."])
    assert [chunk_id for chunk_id, _ in index.search("the dr wrote it in her notes", 2)] == ["notes"]
