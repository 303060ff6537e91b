"""API docs served from this server only: Swagger UI 5 from the `swagger-ui-py` package, no inline script."""

from __future__ import annotations

import html
from importlib.resources import files
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

ASSETS = "/docs-assets"


class LocalSwagger(OpenAPIRenderPlugin):
    """Swagger UI at /schema and /schema/swagger; started by /static/swagger-init.js (CSP allows no inline code)."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"], favicon='<link rel="icon" href="/favicon.ico">', style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(openapi_schema["info"]["title"])
        spec = html.escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} API</title>
  {self.favicon}
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <p class="back"><a href="/">← back to the chat</a></p>
  <div id="swagger" data-spec="{spec}"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="/static/swagger-init.js"></script>
</body>
</html>
""".encode()


def assets_router():
    return create_static_files_router(
        path=ASSETS, directories=[str(files("swagger_ui") / "static")], include_in_schema=False
    )
