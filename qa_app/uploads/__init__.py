"""Reading uploaded CSV and XLSX files as phone and ticket systems export them: the table
reader, cell parsing, header matching, XLSX safety checks, and the all-or-nothing upload."""
