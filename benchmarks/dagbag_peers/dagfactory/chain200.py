"""Airflow DAG file: dag-factory builds the `chain200_dagfactory` DAG from chain200.yml."""

from pathlib import Path

from dagfactory import load_yaml_dags

load_yaml_dags(
    globals_dict=globals(),
    config_filepath=str(Path(__file__).resolve().with_name("chain200.yml")),
)
