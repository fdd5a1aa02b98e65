import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """Uploaded files of each test land in a directory of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def manager(db):
    return UserFactory(roles=["incubator_manager"], first_name="Ines", preferred_language="en")
