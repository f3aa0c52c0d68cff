"""Ingest: read the guidance sources and keep the search index exactly in step with them.

Owns: finding a run's sources (`roots`), reading each format (`readers`, `loaders`, `fetch` for URLs),
chunking (`chunking`, with the corpus's `annotations` and the chunk `memo`), comparing with the index
(`diff`), writing in a crash-safe order (`writing`), the run's report (`summary`) and its orchestration
(`pipeline.run_ingest`); watching the cited web pages for changes (`watch`).

Must not import: the Slack layer (`bot.slack`) or the review store (`bot.review`); it reaches the index only
through `bot.index.Index`'s methods, never Chroma directly. The one exception is the two command modules,
`cli` (`gpbot ingest`, which flags verified answers citing a changed document) and `sources_cli`
(`gpbot sources check`, which posts review cards): they wire ingest to the review store and the Slack layer,
lazily, inside the functions that need them, and nothing else in this package imports them.
"""
