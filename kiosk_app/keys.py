"""A new key for PERSONAL_DATA_KEYS, printed: ``python -m kiosk_app.keys k2 [aes|sm4]``.

It needs no running app nor its configuration (a production start refuses to run without a key).
"""

import sys

from .models.sealed import new_key

if __name__ == "__main__":
    try:
        print(new_key(*(sys.argv[1:3] or ["k1"])))
    except ValueError as error:
        sys.exit(str(error))
