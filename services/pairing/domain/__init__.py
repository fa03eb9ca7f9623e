"""The pure domain of school pairing: state folded from events, decisions as new events.

`school` holds the HelpedSchool aggregate (and why it is the consistency boundary), `pairs`,
`exchange`, `sharing` and `school_system` its decisions, `targets` the county's targets.
"""
