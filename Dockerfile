# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /app
COPY pyproject.toml README.md ./
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir --upgrade pip \
    && /venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONPATH=/app/platform:/app
WORKDIR /app
COPY --from=build /venv /venv
COPY . .
RUN useradd --system quorum && mkdir -p /app/var && chown quorum /app/var \
    && SECRET_KEY=collectstatic-only-placeholder-key-0123456789 python manage.py collectstatic --no-input
USER quorum
EXPOSE 8000
CMD ["gunicorn", "--pythonpath", "platform,.", "--bind", "0.0.0.0:8000", "config.wsgi:application"]
