"""The screens of the sessions app, one module per domain: planning, prepare, live (cockpit,
notulist, wrap-up, autosave, sync), workshop (bijeenkomsten) and present (the projector screen).
Every view reaches its session through sessions.access."""
