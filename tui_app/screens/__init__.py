"""One screen per module; `base.AppScreen` holds what they share."""
