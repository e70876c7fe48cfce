"""Page routes, one module per area; every state-changing request passes the CSRF check."""

from fastapi import APIRouter, Depends

from api.web.session import check_csrf


def page_router() -> APIRouter:
    return APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
