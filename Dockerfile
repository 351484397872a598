# The contact-centre service: `contactcentre serve` with settings from CC_* variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 cc
WORKDIR /app

COPY pyproject.toml README.md ./
COPY contactcentre ./contactcentre
COPY telephony ./telephony
COPY ivr ./ivr
COPY acd ./acd
COPY dialer ./dialer
COPY crm_core ./crm_core
COPY agent_ui ./agent_ui
COPY recordings ./recordings
COPY alembic.ini ./
RUN pip install .

USER cc
# HTTP (UI, API) and FastAGI
EXPOSE 8080 4573
CMD ["sh", "-c", "contactcentre migrate && exec contactcentre serve"]
