# syntax=docker/dockerfile:1
# One image for every eduplan service. It runs the assistance service by default;
# docker-compose.yml gives each service its own command (python -m services.<name>).
#
#   docker build -t eduplan .
#   docker run --rm -e EDUPLAN_NATS_URL=... -e EDUPLAN_DATABASE_URL=... eduplan

# --- build: wheels of the project and of its runtime dependencies (no dev extra) ----------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# README.m[d]: copied when present (pyproject names it), no error while it is not.
COPY pyproject.toml README.m[d] ./
COPY contracts ./contracts
COPY shared ./shared
COPY services ./services
RUN pip wheel --wheel-dir /wheels .

# --- runtime: the installed package only, no source tree, no build tools -----------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    EDUPLAN_LOG_JSON=true
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels eduplan
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /app eduplan
USER eduplan
WORKDIR /app
# The projection service's HTTP API (EDUPLAN_HTTP_PORT); the domain services listen on none.
EXPOSE 8080
CMD ["python", "-m", "services.assistance"]
