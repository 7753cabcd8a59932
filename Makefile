# Each target sets itself up: a virtualenv in .venv with the project installed, and the
# front-end libraries (bpmn-js, dmn-js, htmx) in node_modules from package-lock.json.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench worker clean messages

$(STAMP): pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tiaojie db upgrade
	$(BIN)/tiaojie run --demo

test: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/engine_step.py
	$(BIN)/python bench/inbox.py

# After changing visible strings: collect them and merge them into both catalogues, then
# translate the new entries in web/translations/*/LC_MESSAGES/messages.po (the app compiles them).
messages: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output \
		-o build/messages.pot web
	$(BIN)/pybabel update -i build/messages.pot -d web/translations -w 100 \
		--no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) instance test-output node_modules
