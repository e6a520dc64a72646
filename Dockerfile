# 社区云柜 · Community Cloud Locker — one image for the web service, the worker and the migrations
# (deploy/compose.yaml starts all three with PostgreSQL and Redis).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 KIOSK_CONFIG=production
# The simulated and image-printing receipt printers draw Chinese with this font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN pybabel compile -d kiosk_app/translations \
 && useradd --system --home-dir /app --shell /usr/sbin/nologin cloudlocker \
 && mkdir -p instance && chown cloudlocker instance
USER cloudlocker

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENV BIND=0.0.0.0:8000 PROMETHEUS_MULTIPROC_DIR=/tmp/metrics
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "wsgi:app"]
