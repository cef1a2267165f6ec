"""Push: live updates of a session sent to its open screens as server-sent events, woken by one
source per server process (see hub.py), with the 2-s poll as the fallback (docs/live-protocol.md,
"Stream")."""
