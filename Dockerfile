# Image for docker-compose.yml: Python app with the front-end assets installed from npm.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json ./
RUN npm install --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# WeasyPrint (the pre-visit pack PDF) needs pango and harfbuzz
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN pip install --no-cache-dir -e .
COPY --from=assets /app/node_modules ./node_modules
RUN useradd --create-home thinkfamily && mkdir -p var && chown -R thinkfamily var
USER thinkfamily
EXPOSE 8000
