"""Which targets run each plugin type: the `targets` of `kflow plugins list` and `show`.

A task with an implementation runs everywhere: every target calls it through the runtime shim
(`kflow.runtime_shims.step.invoke`) inside its own task, so a plugin written once runs on the
runner, in Airflow and in Prefect. Flowables are each target's own construct; their support is
listed here, and a unit test holds the list equal to what the emitters and the runner accept.
Triggers are compiled per target (schedules, flow triggers, webhooks).
"""

from __future__ import annotations

from kflow.plugin_registry.spec import Kind, PluginSpec

TARGETS = ("runner", "airflow", "prefect")
ALL = TARGETS
NONE: tuple[str, ...] = ()

_FLOW = "io.kestra.plugin.core.flow."
_TRIGGER = "io.kestra.plugin.core.trigger."

FLOWABLES: dict[str, tuple[str, ...]] = {
    _FLOW + "Sequential": ALL,
    _FLOW + "Parallel": ALL,
    _FLOW + "If": ALL,
    _FLOW + "Switch": ALL,
    _FLOW + "ForEach": ALL,
    _FLOW + "EachSequential": ALL,
    _FLOW + "EachParallel": ALL,
    _FLOW + "Dag": ALL,
    _FLOW + "Subflow": ALL,
    _FLOW + "Pause": ALL,  # on Airflow and Prefect only with a duration (docs/airflow.md)
    _FLOW + "AllowFailure": ("runner", "prefect"),
    _FLOW + "WorkingDirectory": ("runner",),
    _FLOW + "ForEachItem": NONE,
    _FLOW + "WaitFor": NONE,
}

TRIGGERS: dict[str, tuple[str, ...]] = {
    _TRIGGER + "Schedule": ALL,
    _TRIGGER + "Flow": ALL,
    _TRIGGER + "Webhook": ALL,
}


_CONDITION = "io.kestra.plugin.core.condition."

#: Conditions that are not evaluated everywhere (the others are, by the runtime shim).
CONDITIONS: dict[str, tuple[str, ...]] = {
    _CONDITION + "PublicHoliday": NONE,
    _CONDITION + "HasRetryAttempt": NONE,
    _CONDITION + "MultipleCondition": ("runner",),  # KF401 on Airflow and Prefect
}


def targets_of(spec: PluginSpec) -> tuple[str, ...]:
    """The targets that run `spec`'s type (empty: kflow checks it but cannot run it)."""
    if spec.kind is Kind.TRIGGER:
        return TRIGGERS.get(spec.type, NONE)
    if spec.kind is Kind.CONDITION:
        return CONDITIONS.get(spec.type, ALL)  # evaluated by the runtime shim wherever it runs
    if spec.type in FLOWABLES:
        return FLOWABLES[spec.type]
    from kflow.runtime_shims.tasks import implemented_types

    return ALL if spec.run is not None or spec.type in implemented_types() else NONE
