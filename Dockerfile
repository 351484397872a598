# The contact-centre service: `contactcentre serve` with settings from CC_* variables
# (docker-compose.yml sets them). Runs as `cc`, uid and gid 1000: the same ids as
# Asterisk's user in docker-compose.yml, since the two share recordings and sounds.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 1000 cc \
    && useradd --create-home --uid 1000 --gid 1000 cc
WORKDIR /app

COPY pyproject.toml README.md constraints.txt ./
COPY contactcentre ./contactcentre
COPY telephony ./telephony
COPY ivr ./ivr
COPY acd ./acd
COPY dialer ./dialer
COPY crm_core ./crm_core
COPY agent_ui ./agent_ui
COPY recordings ./recordings
COPY alembic.ini ./
RUN pip install -c constraints.txt .

# Where the service writes (docker-compose.yml mounts volumes on each): its data
# and attachments, the recordings Asterisk makes, the sounds Asterisk plays. A
# fresh volume takes the owner of the directory it is mounted on.
RUN mkdir -p /app/var/attachments /var/spool/asterisk/monitor /var/lib/asterisk/sounds \
    && chown -R cc:cc /app/var /var/spool/asterisk /var/lib/asterisk

USER cc
# HTTP (UI, API, /healthz, /readyz) and FastAGI
EXPOSE 8080 4573
# the schema first (serve refuses an old one), then the service
CMD ["sh", "-c", "contactcentre migrate && exec contactcentre serve"]
