"""The credit bank's pure core: frameworks, conversion rules, the catalogue, the conversion engine and the planner
that redeems credits toward qualifications. Nothing here touches the database or the clock; services feed it."""
