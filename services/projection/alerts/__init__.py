"""The alerts service: finds tasks of the plan behind their targets in the read models and
publishes alerts (raised, then resolved when the gap closes) on their own stream."""
