"""The index package: everything that stores and searches the guidance.

It owns
- the schema (`schema`): collection names, the chunk <-> metadata mapping, `embedding_text`, the section
  question records and the version stamp's format;
- the Chroma store (`store`): the only module that imports chromadb; it also holds the index's part of
  verified answers (id, question vector, status and the passage each rests on; their text lives in the review store);
- the keyword index (`keyword`): the text analysis `analyze` (also the answerer's notion of a term) and BM25;
- the data derived from every chunk when the version stamp moves (`derived`): the keyword index, the
  identifier allow-list (`public_numbers`), review dates, the query adapter learned from the section questions
  and verified answers (`query_adapter`); cached on disk keyed by version;
- the answer units' vectors computed at ingest (`sentence_store`);
- the embedder (`embedder`: onnxruntime over the model exported at set-up, or sentence-transformers as the
  fallback; `embedder_export` writes and checks the export);
- writing guidance (`writer`) and `Index` (`index`), the one object the bot, ingest and the review store use;
- refitting the query adapter off the request path after a reviewer's change in Slack (`background_refit`).

It must not import the Slack layer (`bot.slack`), the review store (`bot.review`), the answering pipeline
(`bot.pipeline`, `bot.answer`, `bot.retrieval`) or ingest; they import it.
"""

from bot.index.embedder import Embedder, load_embedder
from bot.index.index import Index, IndexInfo
from bot.index.keyword import KeywordIndex, analyze
from bot.index.schema import chunk_from_record, chunk_to_metadata, embedding_text

__all__ = [
    "Embedder",
    "Index",
    "IndexInfo",
    "KeywordIndex",
    "analyze",
    "chunk_from_record",
    "chunk_to_metadata",
    "embedding_text",
    "load_embedder",
]
