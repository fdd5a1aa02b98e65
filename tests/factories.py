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
