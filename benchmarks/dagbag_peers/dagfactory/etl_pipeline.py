"""Airflow DAG file: dag-factory builds the `etl_pipeline_dagfactory` DAG from etl_pipeline.yml."""

from pathlib import Path

from dagfactory import load_yaml_dags

load_yaml_dags(
    globals_dict=globals(),
    config_filepath=str(Path(__file__).resolve().with_name("etl_pipeline.yml")),
)
