"""The healthcheck: the app answers on its port."""
import os
import sys
import urllib.request

try:
    urllib.request.urlopen(f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/", timeout=2).read()
except Exception as error:
    print(error)
    sys.exit(1)
