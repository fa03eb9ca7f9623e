"""The student-aid domain: pure aggregates that decide events from commands and state.

- `student`: a registered poor student's roster life and aid, per term
- `catalogue`: the aid programmes in force, per term (data, changed by commands)
- `university`: one university's roster dispatch and aid reports for one school year
- `funds`: one request to the city for per-student public funds
"""
