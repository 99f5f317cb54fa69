# The values upgrade assistant's web app, as a container.
#   docker build -t adaptive-upgrade-assistant .
#   docker run --rm -p 8501:8501 adaptive-upgrade-assistant
# Several replicas behind a load balancer need sticky sessions (each browser
# session lives in one server process: its WebSocket, its uploads, its results).
# Every analysis runs in one of ADAPTIVE_WORKERS worker processes, each call bounded by
# ADAPTIVE_ANALYSIS_TIMEOUT seconds and ADAPTIVE_ANALYSIS_MEMORY_MB of resident memory
# (override them with `docker run -e ...`); size the container for the server plus the
# workers (about 110 MB each once warm).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    ADAPTIVE_WORKERS=2 \
    ADAPTIVE_ANALYSIS_TIMEOUT=20 \
    ADAPTIVE_ANALYSIS_MEMORY_MB=2048

WORKDIR /app

# Pinned requirements first, so the dependency layer is cached between code changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# A user without privileges and without a login shell runs the app. The code in
# /app stays owned by root (read-only for the app); its home takes Streamlit's
# small files (~/.streamlit).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
       --shell /usr/sbin/nologin app

COPY --chown=root:root app.py ./
COPY --chown=root:root .streamlit ./.streamlit
COPY --chown=root:root migrator ./migrator
COPY --chown=root:root app_pages ./app_pages
COPY --chown=root:root webui ./webui
COPY --chown=root:root examples ./examples

USER app

EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"

# The container serves on all its addresses (`make run` on a workstation: 127.0.0.1 unless HOST is set).
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
