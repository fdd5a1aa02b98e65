from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.accounts.serializers import MeSerializer, MeUpdateSerializer
from fabreck.accounts.services import profile_update


class MeView(APIView):
    """The authenticated user: profile and roles."""

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer, operation_id="me_update")
    def patch(self, request: Request) -> Response:
        serializer = MeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        changes = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "preferred_language": user.preferred_language,
            **serializer.validated_data,
        }
        profile_update(user=user, **changes)
        return Response(MeSerializer(user).data)
