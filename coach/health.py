"""GET /healthz: does the database answer?"""

from litestar import get
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from coach.accounts.tables import User


@get("/healthz", name="healthz", opt={"public": True})
async def healthz() -> Response[dict[str, str]]:
    """Answer 200 when the database answers, 503 with the reason when it does not."""
    try:
        await User.raw("SELECT 1")
    except Exception as exc:  # any driver error means "not healthy"
        reason = f"database unavailable: {type(exc).__name__}"
        return Response(
            {"status": "error", "reason": reason}, status_code=HTTP_503_SERVICE_UNAVAILABLE
        )
    return Response({"status": "ok"}, status_code=HTTP_200_OK)
