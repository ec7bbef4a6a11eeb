"""What people read: funder extracts and the status report."""
