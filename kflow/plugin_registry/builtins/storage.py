"""Properties models of the internal-storage tasks: split, concat, size, delete, files, Json."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from kflow.plugin_registry.types import Dynamic, Properties, Templated, Text


class SplitProperties(Properties):
    """io.kestra.plugin.core.storage.Split: give one of bytes, partitions, rows or regexPattern."""

    from_: Text = Field(alias="from", description="The kestra:// URI of the file to split.")
    bytes: Text | None = Field(None, description="Split into files of this size (e.g. 10MB).")
    partitions: Templated[PositiveInt] | None = Field(
        None, description="Split into this many files."
    )
    rows: Templated[PositiveInt] | None = Field(None, description="Split every this many rows.")
    regexPattern: Text | None = Field(
        None, description="Group lines by the first capture group of this pattern."
    )
    separator: Text = Field("\n", description="The line separator.")


class ConcatProperties(Properties):
    """io.kestra.plugin.core.storage.Concat."""

    files: Dynamic[list[Text]] = Field(
        description="kestra:// URIs to concatenate: a list or a JSON array string."
    )
    separator: Text | None = Field(None, description="Written between two files.")
    extension: Text = Field(".tmp", description="The extension of the file created.")


class SizeProperties(Properties):
    """io.kestra.plugin.core.storage.Size."""

    uri: Text = Field(description="The kestra:// URI of the file.")


class DeleteProperties(Properties):
    """io.kestra.plugin.core.storage.Delete."""

    uri: Text = Field(description="The kestra:// URI of the file to delete.")
    errorOnMissing: Templated[bool] = Field(False, description="Fail when the file is missing.")


class LocalFilesProperties(Properties):
    """io.kestra.plugin.core.storage.LocalFiles (deprecated: use inputFiles/outputFiles)."""

    inputs: Dynamic[dict[str, Text]] | None = Field(
        None, description="Files to create in the working directory: name → content or URI."
    )
    outputs: Templated[list[Text]] | None = Field(
        None, description="Glob patterns of files to send to internal storage (output `uris`)."
    )


class JsonProperties(Properties):
    """io.kestra.plugin.core.types.Json: a seed-notes type, not a Kestra one.

    kflow reads the JSON document at `from` and returns it as `value`.
    """

    from_: Text = Field(alias="from", description="The kestra:// URI of a JSON file.")
