import json
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from business_suite.jobs import enqueue


@require_GET
def healthz(request):
    """Liveness of the web process only: no cache, no database."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def cache_roundtrip(request):
    """set/incr/get of a fresh key; the value read back is compared, never assumed."""
    backend = settings.CACHES["default"]["BACKEND"]
    key = f"roundtrip:{uuid.uuid4().hex}"
    try:
        cache.set(key, 1, 60)
        cache.incr(key)
        value = cache.get(key)
        cache.delete(key)
    except Exception as error:  # whatever the backend raises is the answer
        return JsonResponse({"backend": backend, "error": f"{type(error).__name__}: {error}"}, status=503)
    if value != 2:
        return JsonResponse({"backend": backend, "error": f"read back {value!r}, expected 2"}, status=503)
    return JsonResponse({"backend": backend, "value": value})


@require_POST
def jobs(request):
    """{"entrypoint": "...", "payloads": [{...}, ...]} -> 201 {"ids": [...]}."""
    try:
        body = json.loads(request.body)
        ids = enqueue(body["entrypoint"], body["payloads"])
    except (ValueError, KeyError, TypeError) as error:
        return JsonResponse({"error": f"{type(error).__name__}: {error}"}, status=400)
    return JsonResponse({"ids": ids}, status=201)
