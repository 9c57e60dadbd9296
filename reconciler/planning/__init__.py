"""Planning: desired against observed, the ordered actions, saved plans; no server in sight."""
