"""What gpbot says in a terminal: the local console (`gpbot chat`), `gpbot ask`/`search`/`run`/`embedder`
messages, and the labels of `gpbot eval`'s report. Imported into `bot.prompts`; use it as `prompts.NAME`.
Rich markup ([bold], [red]) is part of a text where the console prints it so."""

from __future__ import annotations

# --- the local console (bot/console.py) ---
CONSOLE_BANNER = "[bold]gpbot[/bold] — local console (no Slack tokens configured)."
CONSOLE_LOADING = "Loading the guidance index…"
CONSOLE_INDEX_EMPTY = "[red]The index is empty.[/red] Run `gpbot ingest` first."
CONSOLE_INDEX_INFO = ("{documents} documents, {chunks} passages; guidance reviewed {oldest} – {newest}; "
                      "last ingest {last_ingest}.")
CONSOLE_LAST_INGEST_UNKNOWN = "unknown"
CONSOLE_ANSWERER = "Answers: {answerer}."
CONSOLE_HELP = "Type a question. /good or /bad rates the last answer, /human asks the support team, /quit leaves."
CONSOLE_PROMPT = "\n[bold cyan]You>[/bold cyan] "
CONSOLE_NOTHING_TO_RATE = "Nothing to rate yet."
CONSOLE_NO_REVIEW_STORE = "The review store is not available."
CONSOLE_ESCALATED = "The support team has been asked; they will follow up."
CONSOLE_THANKS = "Thanks for the feedback."
# An answer as plain text (the console and `gpbot ask`), the way the Slack message reads
RENDERED_PII_WARNING = "⚠ (only you see this) {warning}"
RENDERED_VERIFIED = "✔ Verified by the support team ({author}, {date})"
RENDERED_BUTTONS = "[👍 Helpful] [👎 Not helpful] [Ask the support team]"
RENDERED_REVIEWED = "reviewed {date}"  # a source without a publication date: when the corpus last checked it

# --- `gpbot` commands (bot/cli.py) ---
CLI_INDEX_EMPTY = "The index is empty: run `gpbot ingest` first."
CLI_ASK_NOTHING = "Give a question, or use --jsonl and send questions on stdin."
CLI_ASK_LINE_SKIPPED = "line {number}: skipped: {error}"
CLI_SEARCH_SECTION = "   section: {section}"
CLI_SEARCH_SOURCE = "   {source}   (reviewed {reviewed})"
CLI_EVAL_UNKNOWN_MODE = "Unknown mode {mode!r}: use bm25, dense, hybrid, all or llm."
CLI_EVAL_NEEDS_LLM = "--mode llm needs a language model: set LLM_MODEL or LLM_BASE_URL (see .env.example)."
CLI_EMBEDDER_EXPORTED = "Exported the ONNX embedding model in {directory}"
CLI_EMBEDDER_UP_TO_DATE = "Up to date: the ONNX embedding model in {directory}"
CLI_RUN_CHECKING = "Checking the guidance index against its sources…"
CLI_RUN_CARRYING_ON = "Carrying on with what is indexed: the sources above keep their previous version."
CLI_RUN_NOTHING_INDEXED = "Nothing is indexed, so there is nothing to answer from."
CLI_RUN_CONSOLE = "No Slack tokens configured: opening the local console (same pipeline)."

# --- a language model that cannot be used stops start-up with one line naming the setting (bot/llm_provider.py) ---
CONFIG_SLACK_TOKEN_REQUIRED = "Configuration error: SLACK_BOT_TOKEN: required to connect to Slack"
CONFIG_SIGNING_SECRET_REQUIRED = "Configuration error: SLACK_SIGNING_SECRET: required for HTTP mode"
CONFIG_OR_SOCKET_MODE = " (or set SLACK_APP_TOKEN for Socket Mode)"
CONFIG_KEY_REFUSED = "Configuration error: LLM_API_KEY: the provider refused it (HTTP {status})"
CONFIG_NO_ANSWER = "Configuration error: {setting}: no answer from {address} ({error})"
CONFIG_NO_ANSWER_ADDRESS = "the provider"
CONFIG_KEY_REQUIRED = "Configuration error: LLM_API_KEY: required for {provider} ({detail})"
CONFIG_KEY_PROVIDER = "this provider"
CONFIG_OPENAI_MISSING = ("Configuration error: LLM_MODEL: needs the langchain-openai package "
                         "(pip install -r requirements.txt)")
CONFIG_AZURE_REQUIRED = "Configuration error: {setting}: required for Azure OpenAI"
CONFIG_MODEL_REQUIRED = "Configuration error: LLM_MODEL: required (the server at LLM_BASE_URL offers {offered})"
CONFIG_NO_MODEL_LIST = "no model list"
CONFIG_MODEL_NOT_SERVED = "Configuration error: LLM_MODEL: the provider does not serve {name!r} (it offers {offered})"
CONFIG_PACKAGE_NEEDED = "Configuration error: LLM_MODEL: {model!r} needs the {package} package (pip install {package})"
CONFIG_PACKAGE_UNKNOWN = "its langchain integration"
CONFIG_MODEL_UNUSABLE = "Configuration error: LLM_MODEL: {model!r} cannot be used: {error}"

# --- `gpbot eval`'s report (bot/evaluation.py) ---
# (row label, ModeReport attribute), in the table's order
EVAL_ROWS = [
    ("questions", "questions"),
    ("recall@5", "recall_at_5"),
    ("MRR", "mrr"),
    ("must-contain", "must_contain"),
    ("must-contain in the first 300 chars", "must_contain_in_opening"),
    ("answers saying a line twice", "answers_saying_a_line_twice"),
    ("citation precision", "citation_precision"),
    ("decline accuracy", "decline_accuracy"),
    ("decline precision", "decline_precision"),
    ("decline recall", "decline_recall"),
    ("refusals declined", "refusals_declined"),
    ("answerable declined", "answerable_declined"),
    ("safeguarding line", "safeguarding_line"),
    ("identifiers warned", "pii_warned"),
    ("identifier false alarms", "pii_false_alarms"),
    ("identifier leaks", "identifier_leaks"),
    ("latency p50 ms", "latency_p50_ms"),
    ("latency p95 ms", "latency_p95_ms"),
]
EVAL_LLM_ROWS = [
    ("LLM answers used / fallbacks", "llm_outcomes"),
    ("LLM sentences dropped", "llm_sentences_dropped"),
]
EVAL_TABLE_TITLE = "{file}: {count} questions"
EVAL_METRIC_COLUMN = "metric"
EVAL_CATEGORY_TITLE = "must-contain per category"
EVAL_CATEGORY_COLUMN = "category"
EVAL_CELL_DECLINED = " ({count} declined)"  # answerable questions of the category that were declined
EVAL_CELL_REFUSALS = "declined {refusals}"  # a category of questions that should be declined
EVAL_CELL_COUNT = "{cell} n={count}"
# What `gpbot eval --failures` lists for a question that missed
EVAL_PROBLEM_SHOULD_DECLINE = "answered ({kind}) but should decline"
EVAL_PROBLEM_DECLINED = "declined ({kind})"
EVAL_PROBLEM_MISSING = "missing {missing}"
EVAL_PROBLEM_NO_SOURCE = "cites none of its sources"
EVAL_PROBLEM_NO_SAFEGUARDING_LINE = "no safeguarding line"
EVAL_PROBLEM_NOT_WARNED = "identifier not warned"
EVAL_PROBLEM_FALSE_ALARM = "false identifier alarm {kinds}"
EVAL_PROBLEM_REPEATED = "identifier repeated"
# `gpbot serve` / `gpbot run` (bot/slack/cli.py), on stderr
SERVE_NO_TOKENS = "No Slack tokens configured (SLACK_BOT_TOKEN etc.): opening the local console instead."
SERVE_HTTP_MODE = "gpbot: HTTP mode on {host}:{port} (POST /slack/events, GET /healthz /readyz /metrics)"
SERVE_HEALTH_NOT_STARTED = "gpbot: health endpoint not started on 127.0.0.1:{port} ({error})"
SERVE_SOCKET_MODE = "gpbot: Socket Mode connected; health on 127.0.0.1:{port}/healthz"
SERVE_BAD_INTERVAL = "not an interval: {value!r} (use e.g. 24h, 30m, 1d)"
SERVE_INTERVAL_TOO_SHORT = "the refresh interval must be at least one minute"
# `gpbot sources check` (ingest/sources_cli.py): a document needing review, its changed pages, unreachable ones
SOURCES_DOCUMENT_LINE = "  {title}  ({doc_id}, last reviewed {last_reviewed})"
SOURCES_NEVER_REVIEWED = "never"
SOURCES_URL_LINE = "    {status}: {url}{extra}"
SOURCES_MOVED_TO = " -> {url}"
SOURCES_CHANGED_SINCE = " since {date}"
SOURCES_UNREACHABLE_LINE = "  {url}: {detail}"

# question files (`gpbot ask --jsonl` lines, `gpbot eval FILE`): what is wrong with a line
QUESTION_LINE_NEEDS_QUESTION = "each line needs a string 'question'"
QUESTION_LINE_BAD_HISTORY = "'history' must be a list of the thread's earlier questions"
QUESTION_LINE_NOT_JSON = "not valid JSON ({error})"
QUESTION_FILE_LINE = "{path}:{number}: {problem}"
