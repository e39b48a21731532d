"""Recognition of learning: applications, the evidence they bring, and the issuers trusted for it."""
