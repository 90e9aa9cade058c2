from django.contrib.auth import authenticate, logout
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity.errors import IdentityErrorCode
from citycode.errors import DomainError

from .. import selectors, services
from ..models import AuthToken
from ..permissions import IsApiClient, IsCitizen
from ..throttles import RegisterThrottle
from .serializers import (
    ApiClientOutput,
    MeOutput,
    RefreshInput,
    RegisterInput,
    RegisterOutput,
    SessionOutput,
    TokenInput,
    TokenOutput,
)


class CitizenRegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [RegisterThrottle]

    @extend_schema(
        request=RegisterInput,
        responses={
            202: RegisterOutput,
            400: OpenApiResponse(description="Malformed input; `error.fields` names each field and code."),
        },
        tags=["identity"],
        summary="Register a citizen under their real name",
        description=(
            "Answers 202 with the same body whether the account was created or the details could not be "
            "registered (name and number do not match the registry, the number or the phone is already "
            "registered): telling these apart would say which numbers exist. Sign in to find out; the owner "
            "of a number registered by someone else goes to a service desk with their ID card."
        ),
    )
    def post(self, request):
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        services.citizen_register_blind(
            username=fields.get("username", ""),
            name=fields["name"],
            id_number=fields["id_number"],
            phone=fields["phone"],
            password=fields["password"],
        )
        return Response(
            RegisterOutput({"status": "submitted", "message": services.registration_answer()}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class TokenObtainApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    # Sign-in limits live in the authentication backend, shared with the page and the admin log-in.
    throttle_classes: list = []

    @extend_schema(
        request=TokenInput,
        responses={
            200: TokenOutput,
            400: OpenApiResponse(description="Wrong credentials."),
            429: OpenApiResponse(description="Too many failed attempts (per address, account or both)."),
        },
        tags=["identity"],
        summary="Exchange user name (or phone) and password for a bearer token",
    )
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None:
            raise DomainError(IdentityErrorCode.INVALID_CREDENTIALS, _("Wrong user name or password."))
        issued = services.auth_session_start(user=user, user_agent=_user_agent(request))
        return Response(TokenOutput(_token_body(issued)).data)


def _user_agent(request) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:200]


def _token_body(issued: services.IssuedTokens) -> dict:
    return {
        "token": issued.access,
        "token_type": "Bearer",
        "expires_at": issued.session.expires_at,
        "refresh_token": issued.refresh,
        "refresh_expires_at": issued.refresh_expires_at,
    }


class TokenRefreshApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=RefreshInput,
        responses={
            200: TokenOutput,
            401: OpenApiResponse(description="`invalid_refresh_token`, or `refresh_token_reused`: a refresh token "
                                             "used twice ends the whole sign-in."),
        },
        tags=["identity"],
        summary="Exchange a refresh token (single use) for a new access and refresh token",
    )
    def post(self, request):
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.auth_token_refresh(refresh=data.validated_data["refresh_token"],
                                             user_agent=_user_agent(request))
        return Response(TokenOutput(_token_body(issued)).data)


class LogoutApi(APIView):
    """Ends the sign-in whose bearer token made this request (a browser session ends its session)."""

    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={204: None}, tags=["identity"], summary="Sign out: revoke this token")
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            services.auth_token_revoke(token=request.auth)
        else:
            logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: SessionOutput(many=True)}, tags=["identity"],
                   summary="My live API sign-ins (created, last used, client), never their tokens")
    def get(self, request):
        current = request.auth.pk if isinstance(request.auth, AuthToken) else None
        sessions = list(selectors.auth_session_list(citizen=request.user))
        for session in sessions:
            session.current = session.pk == current  # type: ignore[attr-defined]  # read by SessionOutput only
        return Response(SessionOutput(sessions, many=True).data)


class SessionRevokeApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={204: None, 404: OpenApiResponse(description="No such sign-in of yours.")},
                   tags=["identity"], summary="End one of my sign-ins")
    def delete(self, request, session_id: int):
        services.auth_session_revoke(citizen=request.user, session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: MeOutput}, tags=["identity"], summary="The signed-in citizen's profile")
    def get(self, request):
        citizen = request.user
        citizen.memberships_list = selectors.membership_list(user=citizen)
        return Response(MeOutput(citizen).data)


class ApiClientMeApi(APIView):
    """Lets a machine check its key: which organization, device and scopes it carries."""

    permission_classes = [IsApiClient]

    @extend_schema(responses={200: ApiClientOutput}, tags=["identity"], summary="The calling API client")
    def get(self, request):
        return Response(ApiClientOutput(request.auth).data)
