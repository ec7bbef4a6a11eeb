"""Airflow: the functions DAG tasks call, and running DAGs in-process."""
