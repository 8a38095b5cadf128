"""The coordinators' dashboard: a Streamlit app over this process's DuckDB replica."""
