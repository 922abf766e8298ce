"""Stock API routers, one module per area (each defines ``router``)."""
