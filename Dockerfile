# One image for every Bedboard service in docker-compose.yml; the broker is apache/kafka.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml ./
COPY bedboard bedboard
COPY schemas schemas
COPY producers producers
COPY consumers consumers
COPY dashboard dashboard
COPY api api
RUN pip install . \
    && useradd --create-home --uid 10001 bedboard \
    && mkdir -p /data /tokens \
    && chown bedboard /data /tokens

USER bedboard
# Replicas and the outbox live in /data; they can be rebuilt from the Kafka log. /tokens: the
# API's tokens, on a volume the dashboard (its admin page) and the API share.
ENV BEDBOARD_DATA_DIR=/data \
    BEDBOARD_BOOTSTRAP_SERVERS=kafka:9092 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

ENTRYPOINT ["bedboard"]
CMD ["--help"]
