"""Files in and out: point tables, results and sessions. Never Qt."""
