"""The teacher-staffing domain: pure aggregates that decide events from commands and state.

- `plan`: a county's adopted targets
- `post`: one subject at one host school, its master teachers and their capacity
- `teacher`: one master teacher's calendar (no two posts at once) and mentoring
- `training`: caravan visits per county and term, shadow trainees, training orders
- `supply`: special-post quotas per county and year, new teachers placed or recruited
"""
