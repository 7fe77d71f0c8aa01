"""Long work off the request: the job queue (Huey), each job's record and progress, and the
pages that show them to the person who started it."""
