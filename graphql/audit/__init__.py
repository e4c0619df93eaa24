"""The audit log in the API: recording operations (:mod:`.recording`) and reading the log (:mod:`.queries`)."""
