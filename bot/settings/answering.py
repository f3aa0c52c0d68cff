"""Settings sections for finding passages and writing the answer: retrieval (query, search, rerank) and answering.

Every value here was tuned by hand on the question bank's dev split (or a fixture named in its description),
and each description says how; the fitted values of the decline and safeguarding models are not settings
(`bot/decline_model.json`, written by eval/fit_decline_model.py). The answering core reads these through
`Settings` where the assistant is built; a class that can still be built alone (in tests) takes its defaults
from here with `default_of`, never from a second literal.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, NonNegativeInt

from bot.settings.connections import AtLeastOne, Section, Share


class RetrievalSettings(Section):
    """retrieval: tuning values

    How a question is searched: joined to the thread's previous question, keyword (BM25) and dense searches
    fused by reciprocal rank, then reranked by features. The reranker's dense, lexical and title weights were
    tuned on the dev questions with `gpbot eval` (MRR) when the retriever was first built; the rest as each
    description says.
    """

    query_follow_up_max_words: NonNegativeInt = 8
    """A message of at most this many words that leans on the one before ("and for under-16s?", "what about that")
    is searched together with the thread's previous question. Set by hand when follow-ups were first handled; no
    measurement recorded. Default: 8"""
    query_thread_max_words: NonNegativeInt = 15
    """In a thread, a message of at most this many words is searched with the previous question even without "that"
    or "it": the dev split's thread questions run to 14 words; a longer one usually restates its subject, unless it
    opens by carrying on ("and…", "ok and…", "what about…": `bot.query.continues_thread`, any length; session 12,
    after an 18-word "ok and when…" follow-up in a held-out set was searched alone). Default: 15"""
    query_thread_back_reference_max_words: NonNegativeInt = 30
    """In a thread, a message of at most this many words that points back ("it", "them": `bot.query`'s
    BACK_REFERENCE) is searched with the previous question too ("does she actually need a gp appt for that or can we
    do it at the desk?", 17 words, was searched alone and declined). Session 17: the longest such follow-up in the
    tuning sets but one runs to 24 words; 30 leaves room. Default: 30"""
    retrieval_pool: Annotated[int, Field(ge=1, le=30)] = 30
    """Candidates the keyword and the dense search each return, and the fused pool the reranker scores: the
    retriever has always capped it at 30 (reranking 30 takes about 2 ms); not tuned on the question bank.
    Default: 30"""
    retrieval_rrf_k: AtLeastOne = 60
    """k of reciprocal rank fusion (score = sum of 1 / (k + rank)): the usual value from the RRF paper (Cormack et
    al. 2009), not tuned here. Default: 60"""
    retrieval_context_passages: AtLeastOne = 10
    """Passages retrieval hands the answerer, chosen on the dev split together with ANSWER_PASSAGES (5 before:
    must-contain 104 -> 110 of 140; 8 -> 10 with RETRIEVAL_PER_DOCUMENT 3, see there). Default: 10"""
    retrieval_per_document: AtLeastOne = 3
    """Passages of one document kept among those handed on, so that a long document does not crowd out the others.
    2 was set by hand when the retriever was written. A page whose sections have sections of their own counts each
    such section as a document (`bot.retrieval.topic_of`): on the corpus joined into 16 long pages
    (eval/plain_corpus.py --long-pages) dev must-contain 107 -> 113 of 140 (measured with this cap at 2). 2 -> 3
    with 10 passages (RETRIEVAL_CONTEXT_PASSAGES and ANSWER_PASSAGES), without the fusion bonus, decline model
    refitted: dev must-contain 121 -> 124 of 140, citations 126 -> 130 of 142; fresh 53 -> 54 of 60, fresh2 65 -> 64
    of 72 (the right section was often a best document's third; 3 alone gave the citations but not the
    must-contain, 4 no more). Default: 3"""
    retrieval_near_duplicate: Share = 0.95
    """Cosine at or above which a passage counts as a copy of one already kept and is dropped. Set by hand when the
    retriever was written. Default: 0.95"""
    reranker: Literal["features", "fitted"] = "features"
    """How the candidate pool is ordered: features (the hand-weighted sum of the RERANK_* weights below) or fitted
    (bot.fitted_reranker: a pairwise logistic regression over 15 pool features, bot/reranker_model.json; it orders
    the pool, and the answerer and the decline model read scores on the hand reranker's scale; a pool in which no
    section question matched, as an index of documents ingested from elsewhere gives, keeps the hand order, because
    the model ranked such pools worse). Fitted in two stages by `eval/fit_reranker_sq.py --write-stacked`: the
    twelve features other than the three section-question ones on the pools of the corpus's own section
    questions (995 of the 1,020 give a usable pool) put to the retriever without the section-question search, then
    four weights (that score and the three section-question features) on the dev split's 139 usable pools. Held out on dev (5-fold CV grouped by question, mean of five fold assignments,
    against the hand reranker in the same run; eval/reranker_trials.md): right passage first 98.4 against 90,
    must-contain 121.8 against 121 of 140 (never lower on any fold assignment), citations 129.2 against 126 of 142,
    declines the same (before session 5 it was fitted on dev alone: must-contain 118.4 against 119). It was made
    the default on those figures although they missed the rule used for every default (held-out must-contain +2
    or more); the validation split, quoted once after that, fell from 45 to 42 of 61 must-contain and from 49 to
    48 of 60 citations, so it went back to opt-in (a choice made after seeing validation: see README). Default:
    features"""
    rerank_fusion_weight: NonNegativeFloat = 0.1
    """Reranker: this over (1 + the passage's place in the fused keyword-and-dense order), added to its score, so
    that a passage one search ranks first is not lost to the reranker's features alone (a passage the keyword
    search ranked first fell below the eighth). The score with it is the retrieval score the answerer's prior and
    the confidence shown read; the passage's own score, which the decline model reads, leaves it out, and the
    fitted reranker reads the hand score without it (its fallback, the hand order, keeps it). Chosen on the dev
    split among 0, 0.1, 0.15 and 0.2 (0.1-0.2 gave the same answers) and checked on the two held-out sets written in
    session 6 (eval/fresh-questions.jsonl, eval/fresh2-questions.jsonl); with RETRIEVAL_PER_DOCUMENT 3, 10 passages
    and the refitted decline model: dev must-contain 124 either way (citations 130 -> 128 of 142), fresh 54 -> 55 of
    60, fresh2 64 -> 65 of 72. A small effect; the smallest value was kept. Default: 0.1"""
    rerank_dense_weight: NonNegativeFloat = 1.0
    """Reranker: weight of the cosine between question and passage (or the passage's nearest section question).
    Default: 1"""
    rerank_lexical_weight: NonNegativeFloat = 0.45
    """Reranker: weight of the share of the question's terms (and, at RERANK_EXPANSION_SHARE, of its glossary
    expansions) the passage holds. Default: 0.45"""
    rerank_expansion_share: Share = 0.2
    """Reranker: the part of that lexical feature given to the share of the question's glossary expansions the
    passage holds (the question's own terms give the rest). Set by hand when the reranker was written; no
    measurement recorded. Default: 0.2"""
    rerank_title_weight: NonNegativeFloat = 0.0
    """Reranker: weight of the question's terms found in the passage's title and headings. 0.15 until the heading
    mismatch feature came; re-tuned with it by 5-fold cross-validation on the dev split grouped by question
    (eval/rerank_cv.py, eval/reranker_trials.md): every fold chose 0, since rewarding a heading that shares a word
    with the question (a system's name, "proxy") put neighbouring subjects first. Default: 0"""
    rerank_title_expansion_weight: NonNegativeFloat = 0.5
    """Reranker: within that title feature, the weight of the share of the question's glossary expansions found in
    the title and headings (the share of its own terms counts 1). Set by hand when expansions were added to the
    heading match; no measurement recorded. No effect while RERANK_TITLE_WEIGHT is 0. Default: 0.5"""
    rerank_system_bonus: NonNegativeFloat = 0.06
    """Reranker: added when the passage is about the clinical system the question names (EMIS, SystmOne).
    Default: 0.06"""
    rerank_other_system_penalty: NonNegativeFloat = 0.08
    """Reranker: taken off when the passage is about another clinical system than the one the question names.
    Default: 0.08"""
    rerank_heading_mismatch_weight: NonNegativeFloat = 0.1
    """Reranker: taken off times the idf-weighted share of the passage's title and heading terms that the question
    (with its glossary expansions) does not hold (`bot.passage_match.heading_mismatch`): a page on another subject
    names it in its title. Chosen jointly with RERANK_TITLE_WEIGHT and RERANK_LEXICAL_WEIGHT by 5-fold
    cross-validation on the dev split grouped by question (eval/rerank_cv.py; grid 0-0.2): every fold chose 0.1;
    held out, dev must-contain 113 -> 118 of 140, citations 125 of 142 either way. Default: 0.1"""
    rerank_adapter_weight: NonNegativeFloat = 1.0
    """Reranker: taken off times how far the passage's cosine to the adapted question vector falls below the best
    candidate's (`bot.index.query_adapter`: a linear map learned from the index's own section questions and verified
    answers each time the index changes; an index with too few has none, and this does nothing). Chosen on the dev
    split and the three held-out sets written in sessions 6 and 9 (eval/query_adapter.md): 0.3 / 0.6 / 1 / 1.5 / 2
    / 3 gave must-contain 306 / 310 / 315 / 314 / 312 / 312 of 349 against 305 without, citations 319-326 against
    316 of 347; the middle of the plateau was kept. 0 leaves the ranking as without an adapter (the decline model
    still reads how far the adapter moves the nearest passage, `bot.decline_model.ADAPTER_LIFT`). Default: 1"""
    rerank_question_margin: float = 0.0
    """How much closer a question-to-section-question match must be than a question-to-passage match to count the
    same (they run higher); chosen on the dev split with score.py: no margin did best. Default: 0"""


class AnsweringSettings(Section):
    """answering: tuning values

    How answers are put together, declines decided and the safeguarding line found. Each value was chosen on
    the question bank's dev split (eval/score.py; the figures are in each description); eval/fit_decline_model.py
    re-fits the decline and safeguarding models after a change that moves retrieval scores.
    """

    answer_max_units: AtLeastOne = 8
    """Sentences, bullets or whole lists an extractive answer holds at most. 4 before: answers stopped short of the
    second fact a question needs (must-contain 94 -> 101 of 140 with 1600 characters); 6 -> 8: the unit a question
    needed was often 7th or 8th, at 0.7-0.8 of the best unit's score (111 -> 113 of 140); 10 gave 114 with longer
    answers for one question. Default: 8"""
    answer_max_chars: AtLeastOne = 1600
    """Characters of answer text (citation marks not counted) the units fill at most; a list is kept whole. Chosen
    with ANSWER_MAX_UNITS (800 before). Default: 1600"""
    answer_max_total_chars: AtLeastOne = 2200
    """Length limit of an answer with its citation marks and the safeguarding line: under the 2,500 characters a
    chat answer should stay within. Default: 2200"""
    answer_relative_cutoff: Share = 0.4
    """A unit joins the answer only when it scores at least this share of the best unit's score. Default: 0.4"""
    answer_other_document_cutoff: Share = 0.65
    """A unit from a document the answer does not cite yet must score this share of the best unit (0.5 measured one
    dev question better, not enough to let stray timelines back in). Default: 0.65"""
    answer_yes_no_sentence_share: Share = 0.65
    """A question asked for a yes or no ("do we have to…?", "can reception…?") opens on its best sentence rather than
    on a list that scored higher, when the sentence scores at least this share of the list (the answer's content does
    not change, only its order). The value of ANSWER_OTHER_DOCUMENT_CUTOFF ("nearly as relevant"), checked by reading
    the 75 such questions of dev and the own sets (fresh to fresh10) whose best unit was a list: 69 had a sentence at
    0.65 or above, the plainer answer in about 18 of them, the list in 5 (a checklist or a survey asked for), neither
    or both in the rest. Default: 0.65"""
    answer_top_passage_opening_share: Share = 0.6
    """The answer opens on the best unit of the best-ranked passage it quotes (for a yes-or-no question, its best
    sentence) when that unit scores at least this share of the answer's best unit; only the order changes. The passage
    retrieval ranked first is more often the one that answers than a unit elsewhere sharing the question's words
    ("deleted from the app" drew a line about deleting the NHS App). Over dev and fresh to fresh8 (679 answerable,
    in-process), the must-contain text within the first 300 characters: 357 before this rule; 375 / 379 / 380 / 382
    / 384 / 384 / 384 at 1 / 0.9 / 0.8 / 0.7 / 0.6 / 0.5 / 0: the largest share on the plateau. Held out (fresh9-12,
    280): 149 -> 164. Must-contain anywhere in the answer: unchanged. Default: 0.6"""
    answer_passages: AtLeastOne = 10
    """Retrieved passages whose units the answerer scores: with ANSWER_MAX_DOCUMENTS, 5 / 2 before gave must-contain
    104 and citation precision 0.81; 8 / 3 gave 110 of 140 and 0.87 (the page a fact comes from is often the second
    or third document); 10 with RETRIEVAL_CONTEXT_PASSAGES (see RETRIEVAL_PER_DOCUMENT). Default: 10"""
    answer_max_documents: AtLeastOne = 3
    """Documents one answer draws on at most (see ANSWER_PASSAGES). Default: 3"""
    answer_semantic_weight: NonNegativeFloat = 0.6
    """Unit score: weight of the cosine between the unit (vector stored at ingest) and the question. Default: 0.6"""
    answer_lexical_weight: NonNegativeFloat = 1.0
    """Unit score: weight of the idf-weighted share of the question's terms the unit holds. Default: 1"""
    answer_prior_weight: NonNegativeFloat = 0.3
    """Unit score: weight of its passage's retrieval rank and score. Default: 0.3"""
    answer_list_rest_share: Share = 0.25
    """Unit score: a list is judged by its best item's share of the question's terms plus this part of what its
    other items add, so that a long list does not win by its length. Set by hand when the answerer was written;
    no measurement recorded. Default: 0.25"""
    answer_rank_weight: NonNegativeFloat = 0.2
    """Unit score, within the passage prior: this over (1 + the passage's retrieval rank). Set by hand when the
    answerer was written; no measurement recorded. Default: 0.2"""
    answer_score_window: NonNegativeFloat = 0.25
    """Unit score, within the passage prior: a passage whose retrieval score is within this of the best passage's
    adds the difference (passages scored about as well as the best are about as likely to answer). Set by hand
    when the answerer was written; no measurement recorded. Default: 0.25"""
    answer_position_penalty: NonNegativeFloat = 0.05
    """Unit score: taken off for every ten units between the unit and the start of its passage (guidance tends to
    say the main point first). Set by hand when the answerer was written; no measurement recorded. Default: 0.05"""
    answer_no_vector_share: Share = 0.5
    """Unit score: without a stored unit vector (an index built before they were stored), the unit's cosine to the
    question is taken as this share of its share of the question's terms. Set by hand when unit vectors were
    added; no measurement recorded. Default: 0.5"""
    answer_question_floor: Share = 0.5
    """Unit score: the section-question feature is how far the cosine between the question and the nearest of the
    passage's section questions rises above this (0 below it). Set by hand when section questions were added;
    no measurement recorded. Default: 0.5"""
    answer_question_weight: NonNegativeFloat = 1.0
    """Unit score: weight of a section question worded like the asked one (dev split: must-contain 111 -> 112 of
    140; 0.5 to 4 all within one question). Default: 1"""
    answer_novel_weight: NonNegativeFloat = 0.0
    """Unit score after the first unit: weight of the question's terms the unit adds to the answer. Off: 0.3, 0.6
    and 1.0 each lost one dev question (112 -> 111); what answers miss is mostly a word the question does not use.
    Default: 0"""
    answer_max_lists: AtLeastOne = 1
    """Whole lists (steps, or a lead-in with its bullets) one answer holds at most: a second list, most often
    another document's steps, made answers long and mixed. Chosen on the dev split by 5-fold cross-validation
    grouped by question among 1, 2 and 8 (eval/answer_cv.py; the final run is the table in eval/answer_trials.md):
    held out must-contain 119 and citations 124 of 140/142 against 118 and 125 before, median answer 1386
    characters against 1454. Default: 1"""
    answer_expansion_weight: NonNegativeFloat = 0.1
    """Unit score: weight of the question's glossary expansions the unit holds. Set by hand when the answerer was
    written; no measurement recorded. Default: 0.1"""
    answer_heading_weight: NonNegativeFloat = 0.25
    """Unit score: weight of the question's terms in its passage's headings. Set by hand when the answerer was
    written; no measurement recorded. Default: 0.25"""
    answer_list_bonus: NonNegativeFloat = 0.05
    """Unit score: added for a whole list (steps answer "how do I" questions). Set by hand when the answerer was
    written; 5-fold cross-validation on dev over 0, 0.025 and 0.05 (eval/answer_trials.md, trial 4) found no
    held-out gain, so it stays. Default: 0.05"""
    answer_lead_in_penalty: NonNegativeFloat = 0.15
    """Unit score: taken off a sentence ending in ':' (a lead-in says little without what follows). Set by hand when
    the answerer was written; no measurement recorded. Default: 0.15"""
    answer_cross_reference_penalty: NonNegativeFloat = 0.3
    """Unit score: taken off a sentence that points elsewhere ("see the section below"); the passage it points to
    answers better. Set by hand when the penalty was added with the staff question set; no measurement recorded.
    Default: 0.3"""
    answer_follow_up_own_share: Share = 0.3
    """A thread follow-up searched with the previous question ("can I un-hide it later?"): the share of each
    sentence's question-match features taken from the message's own words rather than from the joined text, so the
    answer opens on what the follow-up asks, not on the earlier question's answer. 0: the joined text only.
    Session 17, over the 70 thread follow-ups of dev and fresh to fresh8 (`eval/reranker_trials.md`): the must-contain
    text in the first 300 characters 27 -> 32 at 0.3 (31 at 0.5), must-contain anywhere 61 -> 60 (59 at 0.5).
    Default: 0.3"""
    answer_repeat_overlap: Share = 0.7
    """Share of a sentence's words (of the shorter one's) another sentence of the answer may hold before it counts
    as saying the same, unless it adds a code, number or date. Set by hand when the answerer was written.
    Default: 0.7"""
    answer_closest_sources: NonNegativeInt = 3
    """Pages listed as the closest sources under a not-covered reply. Default: 3"""
    answer_max_sources_per_line: Annotated[int, Field(ge=1, le=5)] = 2
    """Pages one line of an answer cites at most: the pages the line itself names (publisher or date), else the one
    page that supports it. Default: 2"""
    confidence_retrieval_share: Share = 0.6
    """The confidence an answer is recorded with (0-1; shown on review cards and in `gpbot ask --jsonl`, it decides
    nothing): the part given by the best retrieval score, the rest by how much of the question the answer covers.
    Set by hand when the assistant was first built; no measurement recorded. Default: 0.6"""
    confidence_score_floor: Annotated[float, Field(ge=0, lt=1)] = 0.3
    """Confidence: the best retrieval score at or below which its part counts nothing (it counts fully from a score
    of 1, in proportion between). Set by hand when the assistant was first built; no measurement recorded.
    Default: 0.3"""
    verified_min_similarity: Share = 0.70
    """Cosine a question needs to a verified answer's question for that answer to be given (with the same numbers
    and clinical systems): calibrated on tests/fixtures/verified_pairs.yaml, above every plain negative and at or
    below every paraphrase (tests/test_verified_matching.py). Default: 0.7"""
    decline_centroid_sample: AtLeastOne = 2000
    """Indexed passages (evenly spaced) averaged for the corpus centroid, one of the decline model's features:
    enough for a stable mean, cheap at 100k chunks. Default: 2000"""
    safeguarding_evidence_passages: AtLeastOne = 5
    """Retrieved passages whose closeness to the safeguarding situations counts as evidence for the safeguarding
    line: read off the dev split among 3, 5 and 8 (eval/fit_decline_model.py fits the weights and threshold for it;
    re-fit after a change). Default: 5"""
    safeguarding_baseline_sample: AtLeastOne = 2000
    """Indexed passages whose mean closeness to the situations is the zero of that evidence. Default: 2000"""
    safeguarding_step_clarity_weight: NonNegativeFloat = 0.5
    """The safeguarding line quotes the step sentence with the highest cosine to the question plus this times its
    cosine to the protective step it states (a sentence that states a step plainly over one that only mentions it,
    such as "the guidance gives both routes"). Chosen by reading the lines given to the 30 written stories of
    eval/safeguarding-train-questions.jsonl among 0, 0.5 and 1 (no bank question): 0 quoted such loose sentences
    for about a third of them, 1 gave nearly every adult's story the same switch-off sentence. Default: 0.5"""
    safeguarding_passages_per_step: AtLeastOne = 6
    """Passages searched per protective step for the sentences that state it (the safeguarding line quotes one).
    Default: 6"""
