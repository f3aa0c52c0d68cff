"""gpbot's answering core: a question in plain text, an answer with citations out.

Owns: preparing a question (`query`: `prepare_query`, the glossary), hybrid retrieval (`retrieval`), the
extractive answer and its citations (`answer`, `units`, `citations`), the decline decision (`decline_model`),
the safeguarding line (`safeguarding`), the optional language model and the check of its claims (`llm`,
`llm_provider`, `claims`), the pipeline that runs them (`pipeline.Assistant`), the question-bank evaluation
(`evaluation`), all user-facing text (`prompts`) and the configuration (`settings`). Sub-packages: `index`
(the search index, the only Chroma caller), `identifiers` (patient-identifier detection and redaction),
`review` (the review store) and `slack` (the Slack layer).

The core's modules must not import the Slack layer (`bot.slack`, slack_bolt, slack_sdk), the review store
(`bot.review`: verified answers come in through a lookup function) or Chroma; only the entry points that wire
everything together (`cli`, `console`, `startup`) may. tests/test_structure.py checks this.
"""
