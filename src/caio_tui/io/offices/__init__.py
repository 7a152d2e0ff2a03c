"""Office files (issue 18): the CAIO sends an office its pilots; the office's changes come back as a bundle
and merge field by field. Each module has one job: format (the file's kinds, heads and sections, the
error), write (a send and a bundle, streamed), read (the streaming reader and the file's digest), load (a
send opened by its office), verify (a bundle verified step by step), verifier (the process that verifies
a merge's bundles ahead of it), merge (bundles verified and merged, one file or several)."""

from caio_tui.io.offices.format import OFFICE_FORMAT, OFFICE_VERSION, OfficeFileError, json_schema, schema_text
from caio_tui.io.offices.load import open_send_file
from caio_tui.io.offices.merge import merge_file, merge_files
from caio_tui.io.offices.write import BundleWritten, write_bundle, write_send

__all__ = [
    "OFFICE_FORMAT",
    "OFFICE_VERSION",
    "BundleWritten",
    "OfficeFileError",
    "json_schema",
    "merge_file",
    "merge_files",
    "open_send_file",
    "schema_text",
    "write_bundle",
    "write_send",
]
