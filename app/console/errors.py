"""Every console error as a Chinese page in the console's layout; everything else keeps JSON.

The API's handlers (:mod:`app.errors`) answer ``/api`` with the JSON envelope;
these wrap them and answer instead for paths under ``/console``, where a person
on a phone reads the answer, not a script.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.exceptions import HTTPException

from app.console.refusals import ConsoleRefusal
from app.console.rendering import PAGE_HEADERS, templates
from app.errors import AppError

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


_TITLES = {400: "请求有误", 403: "无权访问", 404: "页面不存在", 405: "无法这样打开",
           409: "无法完成操作", 413: "提交的内容太大", 422: "链接有误",
           429: "操作太频繁", 500: "服务器出错了"}
_SENTENCES = {
    400: "请求的格式不对，请返回后重试。",
    404: "没有找到您要打开的页面，活动或报名可能已被删除，或链接有误。",
    405: "这个地址不能直接打开，请使用页面上的按钮操作。",
    413: "提交的内容超过了大小限制。",
    429: "操作太频繁了，请稍等片刻再试。",
    500: "服务器暂时出了问题，您的操作可能没有完成。请稍后刷新重试；如果一直出错，请联系管理员。",
}
_FIELDS = {"event_id": "活动编号", "signup_id": "报名编号", "view": "名单类别",
           "q": "搜索词（最多 32 个字）", "code": "登录码", "role_id": "角色编号",
           "start": "开始日期", "end": "结束日期", "figure": "统计项",
           "notice_id": "通知编号"}


def in_console(request: Request) -> bool:
    path = request.url.path
    return path == "/console" or path.startswith("/console/")


def _sentence(request: Request, status: int, exc: Exception) -> str:
    if isinstance(exc, ConsoleRefusal):
        return exc.message
    if status == 403:
        if request.method == "POST":
            return "页面已过期，或表单不是从本后台提交的。请返回并刷新页面后重试。"
        return "这个活动不归您管理，您无权查看。如需查看，请联系管理员分配。"
    if isinstance(exc, RequestValidationError):
        fields = dict.fromkeys(str(error["loc"][-1]) for error in exc.errors())
        named = "、".join(_FIELDS.get(field, field) for field in fields)
        return f"链接中的{named}不正确，请返回上一页重新打开。"
    return _SENTENCES.get(status, "请求未能完成，请返回后重试。")


def error_page(request: Request, status: int, exc: Exception) -> HTMLResponse:
    back = exc.back if isinstance(exc, ConsoleRefusal) else "/console"
    response = templates.TemplateResponse(
        request, "error.html",
        {"user": None, "status": status, "title": _TITLES.get(status, "出错了"),
         "sentence": _sentence(request, status, exc), "back": back},
        status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response


def _status_of(exc: Exception) -> int:
    if isinstance(exc, AppError):
        return exc.status
    if isinstance(exc, HTTPException):
        return exc.status_code
    return 422 if isinstance(exc, RequestValidationError) else 500


def _for_console(fallback: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        status = _status_of(exc)
        # Redirects (sign in first) are not errors: the browser follows them.
        if in_console(request) and status >= 400:
            return error_page(request, status, exc)
        answer = fallback(request, exc)
        return answer if isinstance(answer, Response) else await answer

    return handle


def _server_error(_request: Request, _exc: Exception) -> Response:
    # Starlette's own answer for everything outside the console: WeChat and the
    # API's clients keep seeing what they saw before.
    return PlainTextResponse("Internal Server Error", status_code=500)


def install_error_pages(app: FastAPI) -> None:
    """Wrap the installed handlers so that console paths get a page; call after
    :func:`app.errors.install_error_handlers`."""
    for kind in (AppError, RequestValidationError, HTTPException):
        app.add_exception_handler(kind, _for_console(app.exception_handlers[kind]))
    # Starlette's error middleware still logs the exception and re-raises it to the server.
    app.add_exception_handler(Exception, _for_console(_server_error))
