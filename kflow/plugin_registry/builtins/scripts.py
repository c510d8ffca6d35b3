"""Properties models of the script tasks: Python and shell, inline scripts or commands."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from kflow.plugin_registry.types import Dynamic, NamespaceFiles, Properties, Templated, Text


class TaskRunner(Properties):
    """`taskRunner`: a task runner plugin (`io.kestra.plugin.core.runner.Process`, Docker, …)."""

    model_config = ConfigDict(extra="allow")

    type: Text = Field(description="The task runner type.")


class DockerOptions(Properties):
    """The deprecated `docker` options; kflow reads `docker.image` as `containerImage`."""

    image: Text | None = Field(None, description="The container image.")
    pullPolicy: Literal["IF_NOT_PRESENT", "ALWAYS", "NEVER"] | None = None
    config: Any = None
    credentials: dict[str, Any] | None = None
    host: Text | None = None
    user: Text | None = None
    entryPoint: list[Text] | None = None
    extraHosts: list[Text] | None = None
    networkMode: Text | None = None
    volumes: list[Text] | None = None
    deviceRequests: list[dict[str, Any]] | None = None
    cpu: dict[str, Any] | None = None
    memory: dict[str, Any] | None = None
    shmSize: Text | None = None
    privileged: bool | None = None


class ScriptTaskProperties(Properties):
    """What every script task has: runner, image, environment, and files in and out."""

    taskRunner: TaskRunner | None = Field(None, description="Where the script runs.")
    containerImage: Text | None = Field(None, description="The image, for container runners.")
    beforeCommands: Templated[list[Text]] | None = Field(
        None, description="Commands run first (e.g. pip install …)."
    )
    env: Templated[dict[str, Text]] | None = Field(None, description="Environment variables.")
    interpreter: Templated[list[Text]] = Field(
        default_factory=lambda: ["/bin/sh", "-c"], description="The shell that runs commands."
    )
    failFast: Templated[bool] = Field(True, description="Stop at the first failing command.")
    warningOnStdErr: Templated[bool] = Field(
        True, description="End in WARNING when something is written to stderr."
    )
    namespaceFiles: NamespaceFiles | None = Field(None, description="Namespace files to inject.")
    inputFiles: Dynamic[dict[str, Text]] | None = Field(
        None, description="Files to create: name → content or kestra:// URI."
    )
    outputFiles: Templated[list[Text]] | None = Field(
        None, description="Glob patterns of files to keep (output `outputFiles`)."
    )
    targetOS: Templated[Literal["LINUX", "WINDOWS", "AUTO"]] = Field(
        "AUTO", description="The operating system the script runs on."
    )
    docker: DockerOptions | None = Field(None, deprecated="write 'containerImage' (and taskRunner)")
    runner: Literal["PROCESS", "DOCKER"] | None = Field(None, deprecated="write 'taskRunner'")
    outputDirectory: Templated[bool] | None = Field(None, deprecated="write 'outputFiles'")


class _PythonProperties(ScriptTaskProperties):
    containerImage: Text | None = Field(
        None, description="The image, for container runners (Kestra picks a Python image)."
    )
    dependencies: Templated[list[Text]] | None = Field(
        None, description="Python packages to install before running."
    )
    pythonVersion: Text | None = Field(None, description="The Python version to use.")
    dependencyCacheEnabled: Templated[bool] = Field(True, description="Cache the dependencies.")
    packageManager: Templated[Literal["UV", "PIP"]] = Field(
        "UV", description="The installer of dependencies."
    )


class PythonScriptProperties(_PythonProperties):
    """io.kestra.plugin.scripts.python.Script."""

    script: Text = Field(description="The Python source to run.")


class PythonCommandsProperties(_PythonProperties):
    """io.kestra.plugin.scripts.python.Commands."""

    commands: Templated[list[Text]] = Field(description="The commands to run (python main.py, …).")


class ShellScriptProperties(ScriptTaskProperties):
    """io.kestra.plugin.scripts.shell.Script."""

    containerImage: Text | None = Field("ubuntu", description="The image, for container runners.")
    script: Text = Field(description="The shell script to run.")


class ShellCommandsProperties(ScriptTaskProperties):
    """io.kestra.plugin.scripts.shell.Commands."""

    containerImage: Text | None = Field("ubuntu", description="The image, for container runners.")
    commands: Templated[list[Text]] = Field(description="The commands to run.")
