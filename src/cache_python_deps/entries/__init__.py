"""The repository's cache entries, as this action sees them through GitHub's REST API.

- ``key_format``: a key read back into its named components, and how two keys differ, in one
  vocabulary (the CLI's ``diff``, the record step's partial restores, the miss report).
- ``client``: the bounded REST client (list, usage, delete), stdlib only.
- ``miss_report``: why a run had no exact hit, from the entries listed.
- ``stale``: which entries a failed restore damaged or a newer save superseded, and what
  deleting them did.

The keys step never imports any of it; the record step reads keys back (``key_format``) and
asks the API only without an exact hit, or when the workflow asks to delete superseded entries.
"""
