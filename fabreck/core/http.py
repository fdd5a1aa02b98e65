import mimetypes

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, candidate: str | None, fallback: str) -> str:
    """`candidate` when it points into this site, else `fallback` (no open redirects)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def file_download(field_file: FieldFile, *, name: str, private: bool = True) -> FileResponse:
    """A stored file as a download under its original `name` (a 404 if it has gone from
    the disk). Never rendered inline: an uploaded HTML or SVG file cannot run in the
    site's origin. `private` files are not kept by shared caches."""
    try:
        handle = field_file.open("rb")
    except OSError as missing:
        raise Http404 from missing
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    if private:
        response["Cache-Control"] = "private, no-store"
    return response
