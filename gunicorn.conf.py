"""gunicorn settings for production and the load benchmarks.

Threads, not processes alone: autosave and polling are many short requests on kept-alive
connections, which gthread workers serve without a process per connection. The app keeps no
state in memory between requests, so any number of these servers can share one PostgreSQL.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 75))
# A PDF of a full session renders in about a second; nothing should take half a minute.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each worker imports Django once; WeasyPrint is only imported when a PDF is made.
preload_app = False
