import factory
from allauth.account.models import EmailAddress

from fabreck.accounts.models import User
from fabreck.accounts.services import user_role_add

PASSWORD = "correct-horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.lu")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    preferred_language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        self.save()
        for role in extracted or ():
            user_role_add(user=self, role=role)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        # allauth's mandatory verification: factory users have a confirmed address.
        if extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def organisation_make(
    *,
    owner=None,
    name: str = "Atelier Test",
    status: str = "member",
    competences: tuple[str, ...] = (),
    sectors: tuple[str, ...] = ("design",),
    commune: str = "luxembourg",
    nace: str = "74.10",
    kind: str = "company",
    size_band: str = "2-9",
    directory_consent: bool = True,
    **fields,
):
    """An organisation made through the services, as a member would be (or left at `status`)."""
    from fabreck.cluster.models import Commune, Competence, NaceClass, Sector
    from fabreck.cluster.services import OrganisationData, membership_decide, organisation_apply

    if not any(fields.get(f"description_{code}") for code in ("en", "fr", "de")):
        fields["description_en"] = f"{name} makes things."
    owner = owner or UserFactory()
    data = OrganisationData(
        name=name,
        kind=kind,
        size_band=size_band,
        commune=Commune.objects.get(slug=commune),
        sectors=Sector.objects.filter(slug__in=sectors),
        primary_nace=NaceClass.objects.get(code=nace),
        competences=Competence.objects.filter(slug__in=competences),
        directory_consent=directory_consent,
        **fields,
    )
    organisation = organisation_apply(user=owner, data=data)
    manager = UserFactory(roles=["cluster_manager"])
    if status == "member":
        organisation = membership_decide(organisation=organisation, status="member", by=manager)
    elif status != "applied":
        organisation = membership_decide(
            organisation=organisation, status=status, by=manager, reason="test"
        )
    return organisation
