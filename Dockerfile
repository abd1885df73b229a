# Hongxin: one image for `hongxin serve` (web + scheduler) and `hongxin worker`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HONGXIN_DATABASE_URL=sqlite:////data/hongxin.db

RUN groupadd --system hongxin \
    && useradd --system --gid hongxin --home-dir /srv/hongxin --shell /usr/sbin/nologin hongxin \
    && mkdir -p /srv/hongxin /data \
    && chown hongxin:hongxin /data

WORKDIR /srv/hongxin
# Dependencies first so code changes do not reinstall them.
COPY pyproject.toml README.md ./
COPY app/__init__.py app/__init__.py
COPY bots/__init__.py bots/__init__.py
COPY quizzes/__init__.py quizzes/__init__.py
RUN pip install .  && pip uninstall --yes hongxin
COPY alembic ./alembic
COPY app ./app
COPY bots ./bots
COPY quizzes ./quizzes
# Editable install: migrations are read from ./alembic beside the packages.
RUN pip install --no-deps -e .

USER hongxin
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["hongxin", "serve", "--host", "0.0.0.0", "--port", "8000"]
