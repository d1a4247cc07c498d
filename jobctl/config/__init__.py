"""The config file and what it resolves to: profiles, provider settings, reports."""

from jobctl.config.loading import config_location, inline_config, load_config, read_config_text
from jobctl.config.settings import Config, ProviderSettings

__all__ = [
    "Config",
    "ProviderSettings",
    "config_location",
    "inline_config",
    "load_config",
    "read_config_text",
]
