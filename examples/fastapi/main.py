"""Reference service for berth: a small FastAPI app that says which task answered.

Run it alone with:  python3 -m uvicorn main:app --host 127.0.0.1 --port 9000
"""

import json
import os
import socket
import threading
import urllib.request
from typing import Dict, List, Optional

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel

# FastAPI's /docs page loads Swagger UI from a CDN, which an offline machine
# cannot reach. When a copy is installed locally (SWAGGER_UI_DIR, or the one
# Debian's python3-flasgger ships), the app serves it itself.
_SWAGGER_UI_CANDIDATES = [
    os.environ.get("SWAGGER_UI_DIR", ""),
    "/usr/lib/python3/dist-packages/flasgger/ui3/static",
]
_SWAGGER_UI_DIR = next(
    (d for d in _SWAGGER_UI_CANDIDATES if d and os.path.isfile(os.path.join(d, "swagger-ui-bundle.js"))),
    None,
)

app = FastAPI(title="berth FastAPI example", version="1.0.0", docs_url=None if _SWAGGER_UI_DIR else "/docs")

if _SWAGGER_UI_DIR:
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    app.mount("/static/swagger-ui", StaticFiles(directory=_SWAGGER_UI_DIR), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=app.title + " - Swagger UI",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
        )

# ECS sets ECS_CONTAINER_METADATA_URI_V4 in every task; berth's local cloud
# does the same, so the answer looks alike on AWS and on one machine.
_METADATA_ENV = "ECS_CONTAINER_METADATA_URI_V4"
_METADATA_TIMEOUT_SECONDS = 1.0

_identity_lock = threading.Lock()
_identity: Optional[Dict[str, str]] = None


def _fetch_task_arn() -> Optional[str]:
    base = os.environ.get(_METADATA_ENV)
    if not base:
        return None
    try:
        with urllib.request.urlopen(base.rstrip("/") + "/task", timeout=_METADATA_TIMEOUT_SECONDS) as resp:
            arn = json.load(resp).get("TaskARN")
    except (OSError, ValueError):
        # A missing or slow endpoint must not break the page: fall back to
        # the hostname rather than fail the request.
        return None
    return arn if isinstance(arn, str) and arn else None


def task_identity() -> Dict[str, str]:
    """Return the task's id and ARN, asking the metadata endpoint only once."""
    global _identity
    with _identity_lock:
        if _identity is None:
            arn = _fetch_task_arn()
            if arn:
                # arn:aws:ecs:<region>:<account>:task/<cluster>/<task-id>
                _identity = {"task_id": arn.rsplit("/", 1)[-1], "task_arn": arn}
            else:
                _identity = {"task_id": socket.gethostname(), "task_arn": ""}
        return _identity


@app.get("/")
def whoami(request: Request) -> Dict[str, str]:
    # The server address of this connection is the address uvicorn was told
    # to bind (--host), which tells tasks on one machine apart.
    server = request.scope.get("server")
    listening_on = f"{server[0]}:{server[1]}" if server else ""
    return {"message": "hello from berth", **task_identity(), "listening_on": listening_on}


@app.get("/health")
def health() -> Dict[str, str]:
    return {"status": "ok"}


class ItemIn(BaseModel):
    name: str
    price: float


class Item(ItemIn):
    id: int


# In memory on purpose: each task has its own items, which makes the load
# balancer's spreading of requests visible.
_items_lock = threading.Lock()
_items: Dict[int, Item] = {}
_next_id = 1


@app.get("/items", response_model=List[Item])
def list_items() -> List[Item]:
    with _items_lock:
        return list(_items.values())


@app.post("/items", response_model=Item, status_code=201)
def create_item(item: ItemIn) -> Item:
    global _next_id
    with _items_lock:
        created = Item(id=_next_id, name=item.name, price=item.price)
        _items[created.id] = created
        _next_id += 1
    return created


@app.get("/items/{item_id}", response_model=Item)
def get_item(item_id: int) -> Item:
    with _items_lock:
        item = _items.get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail=f"item {item_id} not found")
    return item


@app.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: int) -> Response:
    with _items_lock:
        if _items.pop(item_id, None) is None:
            raise HTTPException(status_code=404, detail=f"item {item_id} not found")
    return Response(status_code=204)
