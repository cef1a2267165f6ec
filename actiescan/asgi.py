"""The ASGI application production serves (scripts/serve: granian) and scripts/start runs.

Django's own handler gives every request a thread of its own for the sync views: it starts a
thread, runs the view there and shuts the thread down again (ThreadSensitiveContext per request).
Measured under the browser-faithful load (bench/load.py, py-spy --gil on a worker): starting and
joining those threads held the GIL for about a quarter of the worker's time, more than the views.
LaneASGIHandler keeps ACTIESCAN_ASGI_LANES long-lived threads per process instead and hands each
request to the least busy one (asgiref's ThreadSensitiveContext with an executor the caller
owns). Per request nothing changes for the code: all its sync work runs in one thread, as
Django promises; connections still close at the end of each request (CONN_MAX_AGE 0)."""

import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actiescan.settings")


class LaneASGIHandler(ASGIHandler):
    def __init__(self, lanes: int):
        super().__init__()
        self.lanes = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-lane-{n}")
                      for n in range(lanes)]
        # Requests (and open streams) in each lane: a new one goes where the fewest are.
        self.load = [0] * lanes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        lane = min(range(len(self.lanes)), key=self.load.__getitem__)
        self.load[lane] += 1
        try:
            async with ThreadSensitiveContext(executor=self.lanes[lane]):
                await self.handle(scope, receive, send)
        finally:
            self.load[lane] -= 1


def get_application() -> LaneASGIHandler:
    import django
    from django.conf import settings

    django.setup(set_prefix=False)
    return LaneASGIHandler(settings.ACTIESCAN_ASGI_LANES)


application = get_application()
