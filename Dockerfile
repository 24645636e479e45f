# Front end: built once, copied into the image as static files served by Flask.
FROM node:20-slim AS frontend
WORKDIR /app/visualizer
COPY visualizer/package.json visualizer/package-lock.json ./
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
RUN npm ci --no-audit --no-fund
COPY visualizer/ ./
RUN npm run build

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app/backend \
    FLASK_APP=deepcell_label.app:create_app PORT=8000 HOST=0.0.0.0 DATA_DIR=/data
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY backend/ backend/
COPY migrations/ migrations/
COPY scripts/ scripts/
COPY application.py fmd_config.cfg ./
COPY --from=frontend /app/visualizer/dist visualizer/dist
RUN useradd --create-home --uid 10001 deepcell && mkdir -p /data && chown deepcell /data
USER deepcell
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=4)"
# Web server and one job worker; a machine that only runs jobs: CMD ["bash", "scripts/worker.sh"]
CMD ["bash", "scripts/serve.sh"]
