"""The provider registry: adding a provider is one module plus one line here."""

from __future__ import annotations

from jobctl.providers.aisquare import AISquare
from jobctl.providers.base import Provider
from jobctl.providers.creatify import Creatify
from jobctl.providers.gepetto import Gepetto
from jobctl.providers.krea import Krea
from jobctl.providers.unstructured import Unstructured

PROVIDERS: dict[str, Provider] = {
    p.name: p for p in (Krea(), Creatify(), Unstructured(), Gepetto(), AISquare())
}

__all__ = ["PROVIDERS", "Provider"]
