"""Everything the Nezuko Lambdas run. Importing any module here needs no AWS access."""
