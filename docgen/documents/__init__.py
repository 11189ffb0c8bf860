"""Documents: plan outputs → render (Word, Excel, print sets) → write (atomic, manifest) → PDF."""
