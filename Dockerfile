# syntax=docker/dockerfile:1
# Builder: every dependency as a wheel (compilers stay here). EXTRAS=gpu for the GPU worker image.
FROM python:3.11-slim AS builder
ARG EXTRAS=""
WORKDIR /src
COPY pyproject.toml README.md ./
COPY client client
RUN pip install --no-cache-dir --upgrade pip \
    && pip wheel --no-cache-dir --wheel-dir /wheels ".${EXTRAS:+[$EXTRAS]}"

# Runtime: slim, the wheels only, a non-root user, static files collected at build.
FROM python:3.11-slim
ARG EXTRAS=""
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app/platform:/app QUORUM_VAR_DIR=/app/var DJANGO_SETTINGS_MODULE=config.settings
COPY --from=builder /wheels /wheels
COPY pyproject.toml README.md /src/
COPY client /src/client
RUN python -m venv /venv \
    && /venv/bin/pip install --no-cache-dir --no-index --find-links /wheels "/src${EXTRAS:+[$EXTRAS]}" \
    && rm -rf /wheels /src
WORKDIR /app
COPY manage.py ./
COPY platform platform
COPY validators validators
COPY workers workers
COPY templates templates
COPY static static
RUN useradd --system --uid 10001 --home-dir /app quorum \
    && SECRET_KEY=collectstatic-only-placeholder-key-0123456789-abcdefghij \
       python manage.py collectstatic --no-input \
    && mkdir -p /app/var/exports /app/var/broker && chown -R quorum /app/var
USER quorum
EXPOSE 8000
CMD ["gunicorn", "--config", "platform/config/gunicorn.conf.py"]
