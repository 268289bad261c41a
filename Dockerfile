# quotebot as a container: the Discord bot by default, `quotebot ask` / `rebuild` / `health` on demand.
#
#   docker build -t quotebot .
#   docker run --rm -v "$PWD/my-docs:/data/corpus:ro" -v quotebot-index:/data/index quotebot quotebot ask "..."
#   docker compose up -d            (compose.yaml: the bot, DISCORD_TOKEN from .env; docs/deploy.md)
#
# The models ship inside the package (index/models: ONNX files with their tokenizers and checksums),
# so nothing is exported or downloaded when the container starts. The corpus and the index are volumes:
# the index survives upgrades of the image and is rebuilt by itself only when the model or the
# splitter changed.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# The pinned runtime (requirements.txt: no torch) in a layer of its own, so code changes reuse it.
# EXTRA_REQUIREMENTS adds packages, e.g. "qdrant-client==1.20.0" for VECTOR_STORE=qdrant (compose does).
ARG EXTRA_REQUIREMENTS=""
COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt ${EXTRA_REQUIREMENTS} && rm /tmp/requirements.txt

# The package itself, installed like any wheel (not editable): its data folder is the user's, not /src.
COPY pyproject.toml README.md /src/
COPY index /src/index
COPY bot /src/bot
RUN pip install --no-deps /src && rm -rf /src

# A user of its own; it owns the data folders and nothing else. The default corpus ships in the image
# (a named volume starts as a copy of it); mount your own documents over /data/corpus.
RUN useradd --system --uid 10001 --create-home --home-dir /home/quotebot quotebot \
    && mkdir -p /data/corpus /data/index /data/cache && chown -R quotebot:quotebot /data
COPY --chown=quotebot:quotebot corpus /data/corpus
USER quotebot
WORKDIR /home/quotebot
ENV CORPUS_DIR=/data/corpus \
    INDEX_DIR=/data/index \
    CACHE_DIR=/data/cache
VOLUME ["/data/index"]

# Healthy only when the engine answers from the published index (quotebot health: exit 0 or 1 with the
# reason). The first start builds the index, hence the start period.
HEALTHCHECK --interval=60s --timeout=20s --start-period=120s --retries=3 CMD ["quotebot", "health"]

CMD ["quotebot", "bot"]
