"""The reference page: a bare Flask 3.1 app serving a ~3 KB page with a 20-item loop.

Served by gunicorn with the same settings as the app in the same benchmark run, so every figure
of the app can also be given as a ratio to this page (which holds on a noisy machine).
"""

from flask import Flask, render_template_string

app = Flask(__name__)

ITEMS = [{"name": f"Service item number {n}", "summary": "A short line that describes this item to a resident.",
          "days": n % 7 + 1} for n in range(20)]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reference</title></head>
<body><main><h1>Services</h1><ul>
{% for item in items %}<li><a href="/items/{{ loop.index }}">{{ item.name }}</a> <p>{{ item.summary }}</p> <span>{{ item.days }} days</span></li>
{% endfor %}</ul></main></body></html>"""


@app.get("/")
def index():
    return render_template_string(PAGE, items=ITEMS)
