"""The dashboard page: static HTML, CSS and JavaScript that read only the public v1 API."""
