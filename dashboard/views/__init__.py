"""Dashboard pages: each file is one ``st.Page`` script run by ``dashboard/app.py``."""
