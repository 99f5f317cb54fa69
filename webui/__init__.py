"""The web app's rendering helpers (Streamlit). No migration logic lives here."""
