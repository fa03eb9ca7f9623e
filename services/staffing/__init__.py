"""The teacher-staffing service (work stream 2): master teachers, training, teacher supply.

`domain/` decides, `handlers.py` maps commands to streams, `assignments.py` keeps teachers'
calendars in line with posts, `targets.toml` and `permissions.toml` are data, `app.py` wires.
"""
