"""managers pages."""

from api.web.routes import page_router

router = page_router()
