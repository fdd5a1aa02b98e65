import pytest

from tests.fablab.helpers import site_make
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """Uploaded files of each test land in a directory of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def staff(db):
    return UserFactory(roles=["site_staff"], first_name="Sam", preferred_language="en")


@pytest.fixture
def site(staff):
    return site_make(staff=[staff])
