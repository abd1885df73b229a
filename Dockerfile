# syntax=docker/dockerfile:1
# Hongxin: one image for `hongxin serve` (web + scheduler) and `hongxin worker`.
# The wheel is built and installed through scripts/install-wheel.sh, the steps
# that tests/test_install.py runs: the wheel alone, not editable, no extras,
# with the console's npm files inside it.

# The console's scripts (htmx, ECharts) from the npm registry, pinned by
# package-lock.json; the devDependencies (axe-core, for the tests) stay out.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/vendor-assets.sh scripts/
RUN npm ci --omit=dev --no-audit --no-fund && bash scripts/vendor-assets.sh


FROM python:3.11-slim-bookworm AS wheel
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scripts/install-wheel.sh scripts/hatch_vendor_check.py scripts/
COPY alembic alembic
COPY app app
COPY --from=assets /src/app/console/static/vendor app/console/static/vendor
COPY bots bots
COPY quizzes quizzes
RUN bash scripts/install-wheel.sh build /wheels


FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VIRTUAL_ENV=/opt/hongxin \
    PATH=/opt/hongxin/bin:$PATH \
    HONGXIN_DATABASE_URL=sqlite:////data/hongxin.db

RUN python -m venv /opt/hongxin
# The wheel and the script are mounted for this step only, and pip's cache is
# kept between builds: a code change reinstalls the wheel, not every download.
RUN --mount=type=bind,from=wheel,source=/wheels,target=/tmp/wheels \
    --mount=type=bind,source=scripts/install-wheel.sh,target=/tmp/install-wheel.sh \
    --mount=type=cache,target=/root/.cache/pip \
    bash /tmp/install-wheel.sh install /tmp/wheels

RUN groupadd --system hongxin \
    && useradd --system --gid hongxin --home-dir /srv/hongxin --shell /usr/sbin/nologin hongxin \
    && mkdir -p /srv/hongxin /data \
    && chown hongxin:hongxin /srv/hongxin /data

# The code is root's and read-only to the service; it writes only to /data.
USER hongxin
WORKDIR /srv/hongxin
VOLUME ["/data"]
EXPOSE 8000
# Migrations ship inside the package; `hongxin serve` applies them at start-up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["hongxin", "serve", "--host", "0.0.0.0", "--port", "8000"]
