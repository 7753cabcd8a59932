"""The Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template_string

from engine.database import Database
from engine.runtime import Engine
from web.composition import build_engine, open_database
from web.settings import Settings

HOME = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>调解 tiaojie</title></head>
<body>
<h1>调解 · tiaojie</h1>
<p>多级矛盾纠纷调解平台：小院 → 网格 → 村社 → 镇街 → 区级，诉前调解与司法确认。</p>
<p>A multi-tier dispute mediation platform on a BPMN engine.</p>
<h2>已部署的流程 / Deployed processes</h2>
<ul>
{% for d in definitions %}<li>{{ d.name }} ({{ d.process_id }}) v{{ d.version }}</li>
{% else %}<li>none yet: <code>tiaojie deploy bpmn/</code></li>{% endfor %}
</ul>
</body></html>"""


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    """Build the application for the given settings (default: from the environment)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    database: Database = engine.db if engine is not None else open_database(settings)
    app.extensions["tiaojie.engine"] = engine or build_engine(database)

    @app.get("/")
    def home() -> str:
        eng: Engine = app.extensions["tiaojie.engine"]
        with eng.db.reading() as session:
            definitions = eng.definitions(session)
        latest: dict[str, Any] = {}
        for d in definitions:
            latest.setdefault(d.process_id, d)
        return render_template_string(HOME, definitions=list(latest.values()))

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    return app
