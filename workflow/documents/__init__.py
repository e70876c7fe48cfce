"""The auditor's documents: a complaint's dossier (PDF) and the complaint register (PDF, Excel,
CSV). Gathering the record is separate from writing it, so each format shows the same facts."""
