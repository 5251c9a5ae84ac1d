# syntax=docker/dockerfile:1
# Build: docker build -t practice-api .
# Run:   docker run -p 8000:8000 \
#          -e PRACTICE_DATABASE_URL=postgresql://user:pass@db:5432/practice \
#          -e PRACTICE_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))') \
#          practice-api

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY requirements.lock pyproject.toml README.md ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes -r requirements.lock
COPY src ./src
RUN /opt/venv/bin/pip install --no-deps .

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 practice \
    && mkdir -p /data \
    && chown practice:practice /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PRACTICE_ENVIRONMENT=production \
    PRACTICE_DATA_DIR=/data
USER practice
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)" || exit 1
# serve applies the migrations, then runs uvicorn.
CMD ["practice-api", "serve", "--host", "0.0.0.0", "--port", "8000"]
