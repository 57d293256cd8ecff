"""REST sign-in: `POST /api/auth/token/` trades a username and password (and the second factor, for a user who has
one) for a token; `DELETE` revokes the caller's own; `GET /api/auth/tokens/` lists them, never with the key."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import auth_tokens
from accounts.auth_lockout import SignInAddressThrottle, SignInThrottled, SignInUsernameThrottle, TooManyAttempts
from accounts.auth_mfa import SecondFactorThrottled
from flowpilot.api import JSONParser
from flowpilot.schema import error_response
from flowpilot.serializers import StrictCharField, StrictInputMixin


class TokenRequestSerializer(StrictInputMixin, serializers.Serializer):
    username = StrictCharField(max_length=150, trim_whitespace=False)
    password = StrictCharField(max_length=4096, trim_whitespace=False, write_only=True)
    otp = StrictCharField(
        max_length=32,
        required=False,
        write_only=True,
        help_text="For a user with a second factor: the 6-digit code from the authenticator app, or a recovery code.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class TokenSummarySerializer(serializers.Serializer):
    prefix = serializers.CharField(help_text="The token's first characters, to tell which one it is.")
    created = serializers.DateTimeField()


TOO_MANY = (
    "Too many sign-ins: too many requests (per username or address), or a username or address locked out after "
    "failed sign-ins. `Retry-After` says how many seconds to wait; `detail` says it in words."
)


class TokenView(APIView):
    """POST signs in (anyone; a browser's session cookie needs its CSRF token, as everywhere); DELETE revokes the
    caller's own token, if they have one."""

    throttle_classes = [SignInAddressThrottle, SignInUsernameThrottle]
    parser_classes = [JSONParser]  # JSON only, like the rest of the API: no form or multipart body in the schema

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []

    def throttled(self, request, wait):
        raise SignInThrottled(wait)

    @extend_schema(
        request=TokenRequestSerializer,
        description=(
            "Trades a username and password for the user's token. A user with a second factor also sends `otp`. "
            "400 codes: `invalid_credentials` (the same for every wrong username or password), `otp_required`, "
            "`otp_invalid`. 429: `throttled` (request rates), `locked_out` (failed sign-ins), `otp_throttled`."
        ),
        responses={
            200: TokenSerializer,
            403: error_response("The account requires a second factor and the user has none yet."),
            429: error_response(TOO_MANY),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = auth_tokens.api_token_issue(request=request._request, **serializer.validated_data)
        except SecondFactorThrottled as exc:
            raise TooManyAttempts(exc.message, wait=exc.wait, code=exc.code) from None
        return Response({"token": token.key})

    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="Revoked, or there was none: none is left.")}
    )
    def delete(self, request):
        auth_tokens.api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=TokenSummarySerializer(many=True))
    def get(self, request):
        return Response(TokenSummarySerializer(auth_tokens.api_tokens_of(request.user), many=True).data)
