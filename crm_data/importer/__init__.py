"""Importing CSV/XLSX exports into the CRM database through a YAML column mapping (issue #20).

``python -m crm_data import PATH --mapping FILE.yaml`` runs :func:`import_file`.  The modules:
:mod:`~crm_data.importer.sources` (reading files in chunks), :mod:`~crm_data.importer.mapping`
(the mapping file), :mod:`~crm_data.importer.values` (numbers and dates as people write
them), :mod:`~crm_data.importer.validate` (the rules of a row), :mod:`~crm_data.importer.write`
(upserts by external id, stage history), :mod:`~crm_data.importer.run` (one import and its
report) and :mod:`~crm_data.importer.log` (the import log in the app database).
"""

from crm_data.importer.mapping import ImportMapping, MappingError, load_mapping, propose_mapping
from crm_data.importer.run import ImportReport, import_file

__all__ = [
    "ImportMapping",
    "ImportReport",
    "MappingError",
    "import_file",
    "load_mapping",
    "propose_mapping",
]
