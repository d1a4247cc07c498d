"""How a message names what its reader can change: the library's own words by default
(its parameter names: ``max_size``, ``dir``, ``interval``), so ``jobctl.download`` never
tells a Python caller to pass ``--max-size``; the command line hands its ``Client`` and
config its flags and commands instead (``jobctl.cli.context.CLI_WORDING``).

A message is written once, where it is raised, with these words in its slots; nothing
rewrites it afterwards. Templates take the fields their name says (``{provider}``,
``{ref}``).
"""

from __future__ import annotations

from typing import NamedTuple


# A NamedTuple, not a dataclass: the CLI builds one on every run, and importing
# dataclasses would add about 1.5 ms to each start.
class Wording(NamedTuple):
    """The words for each thing a message may tell its reader to change."""

    # Options, as the caller spells them.
    interval: str = "interval"
    max_interval: str = "max_interval"
    timeout: str = "timeout"
    max_size: str = "max_size"
    dir: str = "dir"
    download_to: str = "download_to"
    overwrite: str = "overwrite=True"
    config: str = "config="
    profile: str = "profile="
    # What silences the journal's warnings.
    no_track: str = "journal=None"
    # Listing a provider's jobs; reading the journal instead of asking.
    status: str = "status"
    limit: str = "limit"
    online: str = "offline=False"
    # How to ask for one job of {provider}; how to give a job's provider and id apart.
    get_job: str = "get('{provider}', 'ID')"
    id_apart: str = "('PROVIDER', 'ID')"
    # What to do when a job's output link has expired.
    refresh_link: str = "get the job again for a fresh one"
    # What waits for {ref}, a job that has not finished, and then fetches its files.
    wait_for_files: str = "watch('{ref}', download_to=DIR) waits for it"


LIBRARY = Wording()
