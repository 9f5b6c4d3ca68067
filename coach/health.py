"""GET /healthz: does the database answer?"""

from litestar import get
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from coach.accounts.tables import User
from coach.openapi import INPUT_REFUSED, documented

HEALTHY = Schema(type=OpenAPIType.OBJECT, required=["status"], additional_properties=False,
                 properties={"status": Schema(const="ok")})
UNHEALTHY = Schema(type=OpenAPIType.OBJECT, required=["status", "reason"],
                   additional_properties=False, properties={
                       "status": Schema(const="error"),
                       "reason": Schema(type=OpenAPIType.STRING,
                                        examples=["database unavailable: ConnectionRefusedError"]),
                   })


@get("/healthz", name="healthz", opt={"public": True}, tags=["health"],
     summary="Is the service up?",
     description="For load balancers and monitors: no sign-in, no personal data.",
     operation_class=documented({
         200: OpenAPIResponse(description="The database answers.", content={
             "application/json": OpenAPIMediaType(schema=HEALTHY)}),
         503: OpenAPIResponse(description="The database does not answer; the reason says how "
                              "it failed.", content={
             "application/json": OpenAPIMediaType(schema=UNHEALTHY)}),
         422: INPUT_REFUSED,  # as on every route
     }))
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
