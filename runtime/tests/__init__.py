import logging

# Without a handler, logging's last-resort handler would print every expected
# error line to the test output; assertLogs still captures them.
logging.getLogger("mlfunc").addHandler(logging.NullHandler())
