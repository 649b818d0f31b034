"""`Authorization: Api-Key <key>` for DRF: request.auth is the ApiKey, request.tenant its tenant."""

from rest_framework import authentication, exceptions, permissions

from apps.core.services.api_keys import authenticate_api_key

KEYWORD = "Api-Key"


class TenantPrincipal:
    """What request.user is for an API key: authenticated, tied to one tenant."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key):
        self.api_key = api_key
        self.tenant = api_key.tenant
        self.is_staff = api_key.is_staff

    def __str__(self) -> str:
        return f"tenant:{self.tenant.slug}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword != KEYWORD:
            return None
        api_key = authenticate_api_key(raw.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("invalid or revoked API key")
        # On the HttpRequest under DRF's Request, so that every view of it sees the tenant,
        # including the per-method clones DRF's OPTIONS metadata makes.
        request._request.tenant = api_key.tenant
        return TenantPrincipal(api_key), api_key

    def authenticate_header(self, request):
        return KEYWORD  # makes DRF answer 401 (with WWW-Authenticate), not 403


class IsTenant(permissions.BasePermission):
    message = "an API key is required: Authorization: Api-Key <key>"

    def has_permission(self, request, view):
        return isinstance(request.user, TenantPrincipal)


class IsStaff(permissions.BasePermission):
    message = "this needs a staff API key"

    def has_permission(self, request, view):
        return isinstance(request.user, TenantPrincipal) and request.user.is_staff
