"""The FabLab's API: sites, machines and spaces, courses, authorisations, bookings (create,
reschedule, cancel), availability and price quotes. Thin: parse, call, serialize."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fabreck.cluster.selectors import organisations_of
from fabreck.core.api import Pagination, Refused, service_error
from fabreck.fablab import selectors, services
from fabreck.fablab.models import (
    Authorisation,
    Booking,
    Closure,
    Course,
    MachineCategory,
    Resource,
    Site,
    TrainingSession,
)
from fabreck.fablab.serializers import (
    AuthorisationGrantSerializer,
    AuthorisationSerializer,
    BookingCreateSerializer,
    BookingSerializer,
    CancelSerializer,
    CourseSerializer,
    RescheduleSerializer,
    ResourceSerializer,
    RevokeSerializer,
    SiteDetailSerializer,
    SiteSerializer,
)


def _call(function, /, **kwargs):
    """Run a service; its refusals become the API's errors (a taken slot is a 409)."""
    try:
        return function(**kwargs)
    except services.SlotTaken as error:
        raise Refused(error, code="slot_taken", status=status.HTTP_409_CONFLICT) from error
    except DjangoValidationError as error:
        raise service_error(error) from error


def _organisation_of(maker, slug: str | None):
    if not slug:
        return None
    for membership in organisations_of(user=maker):
        if membership.organisation.slug == slug:
            return membership.organisation
    raise exceptions.ValidationError(
        {"organisation": [_("You can only book for an organisation you belong to.")]}
    )


# --- Reference and catalogue --------------------------------------------------------


class SiteListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    pagination_class = None
    serializer_class = SiteSerializer
    queryset = Site.objects.all()


class SiteDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=SiteDetailSerializer, operation_id="fablab_sites_retrieve")
    def get(self, request: Request, slug: str) -> Response:
        site = get_object_or_404(Site.objects.prefetch_related("opening_hours"), slug=slug)
        closures = Closure.objects.filter(site=site, ends_on__gte=timezone.localdate())[:50]
        return Response(SiteDetailSerializer(site, context={"closures": closures}).data)


RESOURCE_FILTERS = [
    OpenApiParameter("site", str, description="Site slug"),
    OpenApiParameter("category", str, description="Machine category slug"),
    OpenApiParameter("kind", str, enum=["machine", "space"]),
]


class ResourceListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ResourceSerializer

    @extend_schema(parameters=RESOURCE_FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        rows = Resource.objects.select_related("site", "category", "space").prefetch_related(
            "required_courses"
        )
        if params.get("site"):
            rows = rows.filter(site__slug=params["site"])
        if params.get("category"):
            rows = rows.filter(category__slug=params["category"])
        if params.get("kind") in Resource.Kind.values:
            rows = rows.filter(kind=params["kind"])
        return rows.order_by("site__name", "position", "name")


class ResourceDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ResourceSerializer
    lookup_field = "slug"
    queryset = Resource.objects.select_related("site", "category", "space").prefetch_related(
        "required_courses"
    )


class CourseListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    pagination_class = None
    serializer_class = CourseSerializer
    queryset = Course.objects.select_related("category")


# --- Availability and quotes ------------------------------------------------------------


def _range(params) -> tuple:
    start = parse_datetime(params.get("start") or "")
    end = parse_datetime(params.get("end") or "")
    if start is None or end is None:
        raise exceptions.ValidationError(
            {"start": [_("Give start and end as ISO 8601 date-times, e.g. 2026-12-01T09:00.")]}
        )
    start = start if timezone.is_aware(start) else timezone.make_aware(start)
    end = end if timezone.is_aware(end) else timezone.make_aware(end)
    if end <= start:
        raise exceptions.ValidationError({"end": [_("The end must come after the start.")]})
    if end - start > timedelta(days=selectors.MAX_AVAILABILITY_DAYS):
        raise exceptions.ValidationError(
            {"end": [_("Ask for at most %(days)d days at once.") % {"days": 62}]}
        )
    return start, end


class AvailabilityView(APIView):
    """Free time of one machine or space, or of every machine of a category (optionally at
    one site), between `start` and `end`."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("resource", str, description="Machine or space slug"),
            OpenApiParameter("category", str, description="Machine category slug"),
            OpenApiParameter("site", str, description="Site slug"),
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=True),
        ],
        responses=OpenApiTypes.OBJECT,
        operation_id="fablab_availability",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        start, end = _range(params)
        if not (params.get("resource") or params.get("category") or params.get("site")):
            raise exceptions.ValidationError(
                {"resource": [_("Name a machine or space, a category or a site.")]}
            )
        slugs = (
            {"resource_slug": params["resource"]}
            if params.get("resource")
            else {
                "site_slug": params.get("site") or None,
                "category_slug": params.get("category") or None,
            }
        )
        free = selectors.availability_listed(starts_at=start, ends_at=end, **slugs)
        if not free:  # an unknown machine, site or category is a 404, not an empty answer
            if params.get("resource"):
                raise Http404
            if params.get("category"):
                get_object_or_404(MachineCategory, slug=params["category"])
            if params.get("site"):
                get_object_or_404(Site, slug=params["site"])
        return Response({"start": start, "end": end, "resources": free})


class QuoteView(APIView):
    """What a booking would cost, and every rule it would break, before booking."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=BookingCreateSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = BookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organisation = _organisation_of(request.user, values["organisation"])
        resource = values["resource"]
        if values["ends_at"] <= values["starts_at"]:
            raise exceptions.ValidationError({"ends_at": [_("The end must come after the start.")]})
        quote = selectors.booking_quote(
            resource=resource,
            maker=request.user,
            organisation=organisation,
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
        )
        violations = selectors.rule_violations(
            resource=resource,
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
            maker=request.user,
            organisation=organisation,
        )
        taken = selectors.overlapping_occupancies(
            resource_ids=selectors.occupied_resource_ids(resource=resource),
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
        ).exists()
        problems = [
            {"code": item.code, "message": message}
            for item in violations
            for message in item.messages
        ]
        if taken:
            problems.append({"code": "slot_taken", "message": _("This slot is already booked.")})
        split = selectors.prepaid_split(
            quote=quote, balance=selectors.prepaid_available(organisation=organisation)
        )
        return Response(
            {
                # Hours the organisation's prepaid account would pay, and the price left.
                "prepaid_hours": str(split.prepaid_hours),
                "price_to_pay": str(split.price),
                "price_group": quote.price_group.slug,
                "price_group_name": quote.price_group.name,
                # Money as strings, as everywhere in the API: no float rounding.
                "hourly_rate": str(quote.hourly_rate),
                "hours": str(quote.hours.quantize(Decimal("0.01"))),
                "price": str(quote.price),
                "currency": "EUR",
                "bookable": not problems,
                "problems": problems,
            }
        )


# --- Bookings -------------------------------------------------------------------------------


class BookingListCreateView(APIView):
    """One's own bookings (staff add `site` to see every booking of their site); POST books."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("site", str, description="Staff: every booking of this site"),
            OpenApiParameter("from", OpenApiTypes.DATETIME),
            OpenApiParameter("to", OpenApiTypes.DATETIME),
        ],
        responses=BookingSerializer(many=True),
        operation_id="fablab_bookings_list",
    )
    def get(self, request: Request) -> Response:
        rows = Booking.objects.select_related(
            "resource__site", "user", "organisation", "price_group"
        ).order_by("-starts_at")
        site_slug = request.query_params.get("site")
        if site_slug:
            site = get_object_or_404(Site, slug=site_slug)
            if not selectors.user_runs_site(user=request.user, site=site):
                raise exceptions.PermissionDenied(
                    _("Only the staff of a site see all its bookings.")
                )
            rows = rows.filter(resource__site=site)
        else:
            rows = rows.filter(user=request.user)
        for name, lookup in (("from", "ends_at__gt"), ("to", "starts_at__lt")):
            value = parse_datetime(request.query_params.get(name) or "")
            if value is not None:
                rows = rows.filter(**{lookup: value})
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(BookingSerializer(page, many=True).data)

    @extend_schema(
        request=BookingCreateSerializer,
        responses={201: BookingSerializer},
        operation_id="fablab_bookings_create",
    )
    def post(self, request: Request) -> Response:
        data = BookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        maker = values["maker"] or request.user
        booking = _call(
            services.booking_create,
            by=request.user,
            resource=values["resource"],
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
            maker=maker,
            organisation=_organisation_of(maker, values["organisation"]),
            project_reference=values["project_reference"],
            note=values["note"],
            kind=values["kind"],
            override=values["override"],
        )
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


class BookingDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BookingSerializer, operation_id="fablab_bookings_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        booking = selectors.booking_visible_to(pk=pk, user=request.user)
        return Response(BookingSerializer(booking).data)


class BookingRescheduleView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RescheduleSerializer, responses=BookingSerializer)
    def post(self, request: Request, pk: int) -> Response:
        booking = selectors.booking_visible_to(pk=pk, user=request.user)
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = _call(
            services.booking_reschedule, booking=booking, by=request.user, **data.validated_data
        )
        return Response(BookingSerializer(booking).data)


class BookingCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CancelSerializer, responses=BookingSerializer)
    def post(self, request: Request, pk: int) -> Response:
        booking = selectors.booking_visible_to(pk=pk, user=request.user)
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = _call(
            services.booking_cancel, booking=booking, by=request.user, **data.validated_data
        )
        return Response(BookingSerializer(booking).data)


# --- Authorisations -------------------------------------------------------------------------


class AuthorisationListView(APIView):
    """One's authorisations; staff grant one (prior experience) with POST."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=AuthorisationSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = Authorisation.objects.filter(user=request.user).select_related("course", "user")
        context = {"now": timezone.now()}
        return Response(AuthorisationSerializer(rows, many=True, context=context).data)

    @extend_schema(request=AuthorisationGrantSerializer, responses={201: AuthorisationSerializer})
    def post(self, request: Request) -> Response:
        data = AuthorisationGrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        authorisation = _call(services.authorisation_grant, by=request.user, **data.validated_data)
        return Response(
            AuthorisationSerializer(authorisation, context={"now": timezone.now()}).data,
            status=status.HTTP_201_CREATED,
        )


class AuthorisationRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RevokeSerializer, responses=AuthorisationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = data.validated_data["site"]
        if not selectors.user_runs_site(user=request.user, site=site):
            raise exceptions.PermissionDenied(
                _("Only the staff of %(site)s may do this.") % {"site": site.name}
            )
        authorisation = get_object_or_404(Authorisation, pk=pk)
        authorisation = _call(
            services.authorisation_revoke,
            authorisation=authorisation,
            by=request.user,
            **data.validated_data,
        )
        return Response(
            AuthorisationSerializer(authorisation, context={"now": timezone.now()}).data
        )


# --- Training sessions -------------------------------------------------------------------


class TrainingSessionListView(APIView):
    """Upcoming training sessions with the places left; `mine` says whether one holds one."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("course", str, description="Course slug")],
        responses=OpenApiTypes.OBJECT,
        operation_id="fablab_training_sessions_list",
    )
    def get(self, request: Request) -> Response:
        course = request.query_params.get("course")
        return Response(
            [
                {
                    "id": session.pk,
                    "course": group.course.slug,
                    "course_name": group.course.name,
                    "site": session.site.slug,
                    "starts_at": session.starts_at,
                    "ends_at": session.ends_at,
                    "capacity": session.capacity,
                    "places_left": session.places_left,
                    "mine": session.mine,
                }
                for group in selectors.trainings_upcoming(user=request.user)
                if not course or group.course.slug == course
                for session in group.sessions
            ]
        )


class TrainingSessionRegisterView(APIView):
    """A maker takes a place in an upcoming session (the places are counted under a lock)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        session = get_object_or_404(TrainingSession.objects.select_related("site", "course"), pk=pk)
        participant = _call(
            services.participant_add, session=session, by=request.user, user=request.user
        )
        return Response(
            {"session": session.pk, "user": request.user.email, "result": participant.result},
            status=status.HTTP_201_CREATED,
        )


# === Prepaid hours (credits) =================================================================

from fabreck.fablab.serializers import (  # noqa: E402
    PrepaidAccountSerializer,
    PrepaidChangeSerializer,
    PrepaidMovementSerializer,
)


class PrepaidAccountView(APIView):
    """An organisation's prepaid machine hours: for its people and the FabLab staff."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PrepaidAccountSerializer, operation_id="fablab_prepaid_retrieve")
    def get(self, request: Request, slug: str) -> Response:
        page = selectors.prepaid_account_page(slug=slug, user=request.user)
        return Response(PrepaidAccountSerializer(page).data)


class PrepaidMovementsView(APIView):
    """The movements of an organisation's prepaid hours, newest first; staff POST a grant or
    an adjustment (an adjustment never takes the balance below zero)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses=PrepaidMovementSerializer(many=True),
        operation_id="fablab_prepaid_movements_list",
    )
    def get(self, request: Request, slug: str) -> Response:
        page = selectors.prepaid_account_page(slug=slug, user=request.user)
        rows = page.movements.paginator.object_list
        paginator = Pagination()
        movements = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            PrepaidMovementSerializer(movements, many=True).data
        )

    @extend_schema(
        request=PrepaidChangeSerializer,
        responses={201: PrepaidMovementSerializer},
        operation_id="fablab_prepaid_movements_create",
    )
    def post(self, request: Request, slug: str) -> Response:
        page = selectors.prepaid_account_page(slug=slug, user=request.user)
        data = PrepaidChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        movement = _call(
            services.prepaid_hours_change,
            organisation=page.organisation,
            by=request.user,
            **data.validated_data,
        )
        return Response(PrepaidMovementSerializer(movement).data, status=status.HTTP_201_CREATED)
