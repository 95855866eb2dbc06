"""The provider catalog: every provider module's targets, indexed once, looked up by (provider, target)."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from ._errors import TargetNotFound
from ._model import Provider, Target

__all__ = ["Catalog", "get_catalog"]


class Catalog:
    """Immutable after construction; providers keep their declaration order, targets theirs."""

    def __init__(self, providers: Iterable[tuple[str, str, Iterable[Target]]]) -> None:
        self._providers: list[Provider] = []
        self._targets: dict[tuple[str, str], Target] = {}
        for provider_id, availability, targets in providers:
            key = provider_id.lower()
            listed = tuple(targets)
            for target in listed:
                if target.info.provider_id.lower() != key:
                    raise ValueError(f"target {target.info.id} declares provider {target.info.provider_id}")
                if (key, target.info.id) in self._targets:
                    raise ValueError(f"target {target.info.id} is declared twice")
                self._targets[(key, target.info.id)] = target
            self._providers.append(Provider(key, availability, tuple(t.info for t in listed)))

    def providers(self) -> list[Provider]:
        return list(self._providers)

    def targets(self) -> list[Target]:
        return list(self._targets.values())

    def find(self, provider_id: str, target_id: str) -> Target:
        """The target; the provider id is compared case-insensitively (the SDK sends `IonQ` and `ionq`)."""
        target = self._targets.get((provider_id.lower(), target_id))
        if target is None:
            raise TargetNotFound(provider_id, target_id)
        return target


@functools.cache
def get_catalog() -> Catalog:
    """The catalog of every provider module, built once; importing it loads no simulator."""
    from .providers import MODULES

    return Catalog((module.PROVIDER_ID, module.AVAILABILITY, module.TARGETS) for module in MODULES)
